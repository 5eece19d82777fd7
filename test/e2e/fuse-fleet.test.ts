import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { fleetRecord, httpLogin, loggedIn, md5, newName, Pull, push, startFuseFleet, until, type FuseFleet } from "../helpers/fuse.js";
import type { TestServer } from "../helpers/server.js";

/**
 * Two nodes on one broker and one store, with the test playing a round-robin
 * balancer: each request of one HTTP session goes to whichever node the test
 * picks, while the session lives where it logged in (A).
 */
describe("fuse over HTTP in a fleet without sticky sessions", () => {
  let fleet: FuseFleet;
  let a: TestServer;
  let b: TestServer;
  const closers: Array<() => void> = [];
  // A fresh fleet per test: the lobby is shared, and other tests' users would add lines.
  beforeEach(async () => {
    fleet = await startFuseFleet(2, { fuse: { noopMs: 1000 } });
    [a, b] = fleet.nodes;
  });
  afterEach(async () => {
    for (const close of closers.splice(0)) close();
    await fleet.stop();
  });

  const pull = async (t: TestServer, name: string, opts: Parameters<typeof Pull.open>[2] = {}) => {
    const p = await Pull.open(t, name, opts);
    closers.push(() => p.close());
    return p;
  };
  const user = async (t: TestServer, prefix: string) => {
    const c = await loggedIn(t, prefix);
    closers.push(() => c.close());
    return c;
  };

  it("a session opened on A is recorded for the fleet as A's", async () => {
    const name = newName();
    const cookie = await httpLogin(a, name);
    const record = await fleetRecord(b, cookie);
    assert.equal(record?.node, a.server.core.broker.nodeId);
    assert.equal(record?.name, name);
    assert.ok(!JSON.stringify(record).includes(cookie), "the record does not hold the cookie itself");
  });

  it("a pull on B streams what happens to A's session: lobby lines from users of both nodes, and chat pushed through B", async () => {
    const name = newName();
    const cookie = await httpLogin(a, name);
    const p = await pull(b, name, { cookie });
    assert.equal(p.res.statusCode, 200);
    assert.equal(await p.next(), "noop");
    const onA = await user(a, "wsa");
    assert.equal(await p.nextReal(), `here|${onA.name}`);
    const onB = await user(b, "wsb");
    assert.equal(await p.nextReal(), `here|${onB.name}`);
    // Pushed through B, run on A (its home), answered by B.
    assert.equal((await push(b, name, "chat|hi via b", { cookie })).text, "chat|done");
    assert.equal(await p.nextReal(), `text|${name}|hi via b`);
    assert.equal(await onA.waitFor((l) => l.startsWith("text|")), `text|${name}|hi via b`);
    assert.equal(await onB.waitFor((l) => l.startsWith("text|")), `text|${name}|hi via b`);
    assert.equal((await push(b, name, "room|race|4", { cookie })).text, "room|done");
    assert.equal((await push(a, name, "list|room", { cookie })).text, `list|done|room|${name}+race+4`);
  });

  it("an SSE pull on B gets A's lines as events", async () => {
    const name = newName();
    const cookie = await httpLogin(a, name);
    const p = await pull(b, name, { cookie, sse: true });
    assert.match(String(p.res.headers["content-type"]), /^text\/event-stream/);
    assert.equal(await p.next(), "noop");
    assert.equal((await push(a, name, "chat|sse across nodes", { cookie })).text, "chat|done");
    assert.equal(await p.nextReal(), `text|${name}|sse across nodes`);
    assert.ok(p.raw.includes(`data: text|${name}|sse across nodes\n\n`), JSON.stringify(p.raw));
  });

  it("lines held while no pull was attached go to the first pull, on another node", async () => {
    const name = newName();
    const cookie = await httpLogin(a, name);
    assert.equal((await push(b, name, "room|race|2", { cookie })).text, "room|done");
    const ws = await user(b, "ws");
    assert.equal(await ws.cmd(`join|${name}`), "join|done");
    const p = await pull(b, name, { cookie });
    assert.equal(await p.next(), "noop");
    assert.equal(await p.next(), `here|${ws.name}`);
  });

  it("a newer pull replaces the older one, wherever each is", async () => {
    const name = newName();
    const cookie = await httpLogin(a, name);
    const onB = await pull(b, name, { cookie });
    assert.equal(await onB.next(), "noop");
    const onA = await pull(a, name, { cookie });
    assert.equal(await onA.next(), "noop");
    await onB.waitEnd();
    await push(b, name, "chat|to the pull on A", { cookie });
    assert.equal(await onA.nextReal(), `text|${name}|to the pull on A`);
    const again = await pull(b, name, { cookie });
    assert.equal(await again.next(), "noop");
    await onA.waitEnd();
    const newest = await pull(b, name, { cookie });
    assert.equal(await newest.next(), "noop");
    await again.waitEnd();
    await push(a, name, "chat|to the newest", { cookie });
    assert.equal(await newest.nextReal(), `text|${name}|to the newest`);
  });

  it("a pull on B needs the session's name: 401 for another name, as on its home", async () => {
    const name = newName();
    const cookie = await httpLogin(a, name);
    const res = await fetch(`${b.url}/pull?name=${newName()}`, { headers: { cookie: `fuse=${encodeURIComponent(cookie)}` } });
    assert.equal(res.status, 401);
    assert.equal(await res.text(), "main|fail|user not authorized");
    assert.equal((await push(b, newName(), "ping", { cookie })).text, "main|fail|user not authorized");
  });

  it("exit pushed through B: the cookie is cleared, the pull on B ends, the record goes", async () => {
    const ws = await user(a, "ws");
    const name = newName();
    const cookie = await httpLogin(a, name);
    assert.equal(await ws.waitFor((l) => l === `here|${name}`), `here|${name}`);
    const p = await pull(b, name, { cookie });
    assert.equal(await p.next(), "noop");
    const exit = await push(b, name, "exit", { cookie });
    assert.equal(exit.text, "exit|done");
    assert.equal(exit.cookie, "", "B's answer clears the cookie");
    await p.waitEnd();
    assert.equal(await ws.next(), `kill|${name}`);
    await until(async () => (await fleetRecord(b, cookie)) === null, "the record to go");
    assert.equal((await push(b, name, "ping", { cookie })).text, "main|fail|user not authorized");
    assert.equal((await push(a, name, "ping", { cookie })).text, "main|fail|user not authorized");
  });

  it("open pushed through B with A's cookie: B's answer sets the new session's cookie, the old one stops working", async () => {
    const name = newName();
    const key = (await push(a, name, "user||")).text.split("|")[2];
    const open = async (t: TestServer, cookie?: string) => {
      const salt = (await push(t, name, "salt", { cookie })).text.split("|")[2];
      return push(t, name, `open|${salt}|${md5(key + salt)}`, { cookie });
    };
    const first = (await open(a)).cookie!;
    const again = await open(b, first);
    assert.equal(again.text, "open|done");
    assert.ok(again.cookie && again.cookie !== first, "a new cookie, set by B");
    assert.equal((await push(b, name, "ping", { cookie: again.cookie })).text, "ping|done");
    assert.equal((await push(a, name, "ping", { cookie: again.cookie })).text, "ping|done");
    assert.equal((await push(b, name, "ping", { cookie: first })).text, "main|fail|user not authorized");
  });
});

describe("fuse legacy mode in a fleet", () => {
  it("the name alone finds the session on its home, for pushes and pulls on another node", async () => {
    const fleet = await startFuseFleet(2, { fuse: { legacy: true } });
    const [a, b] = fleet.nodes;
    try {
      const name = newName();
      await httpLogin(a, name);
      assert.equal((await push(b, name, "ping")).text, "ping|done");
      const p = await Pull.open(b, name);
      assert.equal(await p.next(), "noop");
      assert.equal((await push(a, name, "chat|no cookie, other node")).text, "chat|done");
      assert.equal(await p.nextReal(), `text|${name}|no cookie, other node`);
      p.close();
    } finally {
      await fleet.stop();
    }
  });
});

describe("fuse push limits in a fleet", () => {
  it("a session's allowance (and an address's) is the fleet's, not each node's", async () => {
    const fleet = await startFuseFleet(2, { limits: { messagesPerSecond: 0.01, burst: 3 } });
    const [a, b] = fleet.nodes;
    try {
      const name = newName();
      // Register, salt and open: the address's whole allowance, spent on A.
      const cookie = await httpLogin(a, name);
      const replies = [];
      for (const t of [a, b, a, b]) replies.push(await push(t, name, "ping", { cookie }));
      assert.deepEqual(replies.map((r) => r.text), ["ping|done", "ping|done", "ping|done", "main|fail|rate limited"]);
      assert.equal(replies[3].status, 429);
      const anon = await push(b, newName(), "salt");
      assert.equal(anon.status, 429, "B counts the address's pushes made on A");
    } finally {
      await fleet.stop();
    }
  });
});
