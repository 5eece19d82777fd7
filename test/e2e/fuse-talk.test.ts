import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FuseClient, fusePerTest, loggedIn, newName, register } from "../helpers/fuse.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

describe("fuse talk and play (WebSocket)", () => {
  const h = fusePerTest();
  const user = (prefix?: string, opts?: { localAddress?: string }) => h.user(prefix, opts);

  /** Two users in the lobby, the first having seen the second arrive. */
  async function pair(): Promise<[FuseClient, FuseClient]> {
    const a = await user("a");
    const b = await user("b");
    assert.equal(await a.next(), `here|${b.name}`);
    return [a, b];
  }

  it("chat: chat|done, and the room, sender included, gets text|<name>|<text>", async () => {
    const [a, b] = await pair();
    assert.equal(await a.cmd("chat|hello | world"), "chat|done");
    assert.equal(await a.next(), `text|${a.name}|hello | world`);
    assert.equal(await b.next(), `text|${a.name}|hello | world`);
  });

  it("chat with @<name> goes to that user only, wherever it is; chat|fail|user not online", async () => {
    const [a, b] = await pair();
    assert.equal(await b.cmd("room|race|4"), "room|done");
    assert.equal(await a.next(), `made|${b.name}+race+4`);
    const c = await user("c");
    assert.equal(await a.next(), `here|${c.name}`);
    assert.equal(await a.cmd(`chat|@${b.name} psst, a secret`), "chat|done");
    assert.equal(await b.next(), `text|${a.name}|psst, a secret`);
    assert.ok(await c.silentFor(100), "nobody else hears it");
    assert.ok(await a.silentFor(0));
    assert.equal(await a.cmd("chat|@nobodyhere hi"), "chat|fail|user not online");
  });

  it("send: send|done, the others in the room get sent|<name>|<data>", async () => {
    const [a, b] = await pair();
    assert.equal(await a.cmd("send|x=1|y=2"), "send|done");
    assert.equal(await b.next(), `sent|${a.name}|x=1|y=2`);
    assert.ok(await a.silentFor(100), "not the sender");
  });

  it("move: the others get data|<name>|<data>; malformed numbers are refused", async () => {
    const [a, b] = await pair();
    assert.equal(await a.cmd("move|1.5+-2+3e2|0+0+0+1|jump|4"), "move|done");
    assert.equal(await b.next(), `data|${a.name}|1.5+-2+3e2|0+0+0+1|jump|4`);
    for (const bad of ["move|1+2|0+0+0+1|jump", "move|1+2+x|0+0+0+1|jump", "move|1+2+3|0+0+1|jump", "move|1+2+3|0+0+0+1", "move|1+2+3|0+0+0+NaN|a"]) {
      assert.equal(await a.cmd(bad), "move|fail|data invalid", bad);
    }
    assert.ok(await b.silentFor(100));
  });

  it("ping, and time in yyyy-MM-dd'T'HH:mm:ss.SSSZ (UTC, +0000)", async () => {
    const a = await user();
    assert.equal(await a.cmd("ping"), "ping|done");
    const time = (await a.cmd("time")).split("|");
    assert.equal(time.slice(0, 2).join("|"), "time|done");
    assert.match(time[2], /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$/);
    assert.ok(Math.abs(Date.parse(time[2].replace("+0000", "Z")) - Date.now()) < 5000);
  });

  it("ally and away: allies see the status when they add it and whenever it changes", async () => {
    const [a, b] = await pair();
    assert.equal(await a.cmd("ally|nosuchuser"), "ally|fail|user not found");
    assert.equal(await b.cmd("away|true"), "away|done");
    assert.equal(await a.cmd(`ally|${b.name}`), "ally|done");
    assert.equal(await a.next(), `away|${b.name}|true`);
    assert.equal(await b.cmd("away|false"), "away|done");
    assert.equal(await a.next(), `away|${b.name}|false`);
    assert.equal(await b.cmd("away|maybe"), "away|fail|data invalid");
    assert.ok(await b.silentFor(50), "a user who is no one's ally's follower hears nothing");
  });

  it("peer/host: the address rides with here only to users behind the same public address", async () => {
    const a = await user("a");
    const far = await user("far", { localAddress: "127.0.0.2" });
    assert.equal(await a.next(), `here|${far.name}`);
    assert.equal(await a.cmd("peer|not-an-ip"), "peer|fail|address invalid");
    assert.equal(await a.cmd("peer|192.168.1.20"), "peer|done");
    assert.equal(await a.cmd("host|1.2.3.4"), "host|fail|address invalid");
    assert.equal(await a.cmd("host|2001:db8::20"), "host|done");
    assert.equal(await a.cmd("room|race|4"), "room|done");
    const near = await user("near");
    assert.equal(await near.cmd("peer|192.168.1.30"), "peer|done");
    assert.equal(await far.next(), `made|${a.name}+race+4`);
    assert.equal(await far.next(), `here|${near.name}`, "no hint across addresses");
    assert.equal(await near.cmd(`join|${a.name}`), "join|done");
    assert.equal(await near.next(), `here|${a.name}|192.168.1.20`);
    assert.equal(await a.next(), `here|${near.name}|192.168.1.30`);
    assert.equal(await far.next(), `gone|${near.name}`);
    assert.equal(await far.cmd(`join|${a.name}`), "join|done");
    assert.deepEqual(await far.some(2), [`here|${a.name}`, `here|${near.name}`].sort());
    assert.equal(await a.next(), `here|${far.name}`);
    assert.equal(await near.next(), `here|${far.name}`);
  });

  it("anything else: main|fail|type not found; a line with a break or too long is refused", async () => {
    const a = await user();
    assert.equal(await a.cmd("dance"), "main|fail|type not found");
    assert.equal(await a.cmd(""), "main|fail|type not found");
    assert.equal(await a.cmd("pull"), "main|fail|type not found");
    assert.equal(await a.cmd("chat|one\nkill|someone"), "main|fail|line invalid");
    assert.equal(await a.cmd(`chat|${"x".repeat(9000)}`), "main|fail|line too long");
    a.ws.send(Buffer.from("ping"), { binary: true });
    assert.equal(await a.next(), "main|fail|line invalid");
    assert.equal(await a.cmd("ping"), "ping|done", "the socket goes on");
  });

  it("every command but user, salt and open needs open|done first", async () => {
    const c = await FuseClient.connect(h.t, newName());
    for (const line of ["ping", "time", "info|user", "chat|hi", "room|a|2", "list|room", "join|x", "quit", "exit", "save|t|{}", "load|t|x", "ally|x", "away|true", "peer|1.2.3.4"]) {
      assert.equal(await c.cmd(line), "main|fail|user not authorized", line);
    }
    assert.match(await c.cmd("salt"), /^salt\|done\|/);
    c.close();
  });

  it("a second open of the same user takes over: same room, no here/gone, the old socket closed", async () => {
    const name = newName("host");
    const { key } = await register(h.t, name);
    const first = await FuseClient.connect(h.t, name);
    assert.equal(await first.open(key), "open|done");
    assert.equal(await first.cmd("room|race|4"), "room|done");
    const b = await user();
    assert.equal(await b.cmd(`join|${name}`), "join|done");
    assert.equal(await b.next(), `here|${name}`);
    assert.equal(await first.next(), `here|${b.name}`);
    const second = await FuseClient.connect(h.t, name);
    assert.equal(await second.open(key), "open|done");
    assert.equal(await first.waitClose(), 4000);
    assert.equal(await second.cmd("chat|still here"), "chat|done");
    assert.equal(await second.next(), `text|${name}|still here`);
    assert.equal(await b.next(), `text|${name}|still here`, "b heard no kill, gone or stop");
    assert.equal(await second.cmd("info|user"), "info|done|2");
    second.close();
  });
});

describe("fuse limits", () => {
  it("a flood gets main|fail|rate limited, costs the sender only, and the socket goes on", async () => {
    const t = await startTestServer({ limits: { messagesPerSecond: 2, burst: 3 } });
    try {
      const a = await loggedIn(t, "a");
      const b = await loggedIn(t, "b");
      await a.next();
      await new Promise((r) => setTimeout(r, 1600));
      for (let i = 0; i < 6; i++) a.send("ping");
      const replies = await a.some(6);
      assert.ok(replies.includes("main|fail|rate limited"), replies.join(" "));
      assert.ok(replies.includes("ping|done"));
      assert.ok(await b.silentFor(100), "the others notice nothing");
      await new Promise((r) => setTimeout(r, 600));
      assert.equal(await a.cmd("ping"), "ping|done");
      a.close();
      b.close();
    } finally {
      await t.stop();
    }
  });
});
