import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { account } from "./auth-client.js";
import { instalkServer, newRoom, unthrottled } from "../helpers/instalk.js";

/** Cases found in review: ordering of replies, work after a refused init, and credentials swapped by identify. */
describe("instalk: ordering and credential edges", () => {
  const h = instalkServer(unthrottled);

  it("frames sent behind a refused init are never run: nothing joins, nothing is stored", async () => {
    const r = newRoom();
    const watcher = await h.peer();
    await watcher.join(r);
    const bad = await h.connect("/websocket");
    bad.send({});
    bad.send({ r, o: "join" });
    bad.send({ r, o: "msg", data: { body: "should never be stored" } });
    assert.deepEqual(await bad.next(), { o: "connect-failed", reason: { code: "init.required" } });
    assert.equal((await bad.waitClose()).code, 1002);
    assert.ok(await watcher.c.silentFor(150), "no joined, no msg reached the room");
    watcher.send({ r, o: "sync", data: { from: 1 } });
    assert.deepEqual((await watcher.op(r, "sync")).data.messages, []);
  });

  it("msg then leave: the sender gets its own message before room-bye; others get msg before left", async () => {
    const r = newRoom();
    const [a, b] = await h.members(r, 2);
    a.send({ r, o: "msg", data: { body: "last words" } });
    a.send({ r, o: "leave" });
    const seenA = [await a.next(), await a.next()];
    assert.deepEqual(seenA.map((f) => f.o), ["msg", "room-bye"]);
    const seenB = [await b.next(), await b.next()];
    assert.deepEqual(seenB.map((f) => f.o), ["msg", "left"]);
  });

  it("a refusal waits its turn: load then junk answers load first, then json.malformed", async () => {
    const r = newRoom();
    const [a] = await h.members(r, 1);
    a.send({ r, o: "load", data: { "last-msg-nr": 1 } });
    a.send("not json");
    assert.equal((await a.next()).o, "load");
    assert.deepEqual(await a.next(), { error: { code: 400, msg: "json.malformed" } });
  });

  it("identify with another account's token cannot replace the socket's own account", async () => {
    const alice = await account(h.t, "alice");
    const mallory = await account(h.t, "mallory");
    const p = await h.peer(`?token=${alice.token}`);
    p.send({ identity: mallory.name, token: mallory.token });
    assert.deepEqual(await p.next(), { identified: false, reason: { code: "token.invalid" } });
  });

  it("after identify with a second token, revoking the first still ends the socket", async () => {
    const alice = await account(h.t, "alice");
    const p = await h.peer(`?token=${alice.token}`);
    const anon = (await (await fetch(`${h.t.url}/auth/anonymous/`, { method: "POST" })).json()) as { accessToken: string; user: { name: string } };
    p.send({ identity: alice.name, token: alice.token });
    assert.equal((await p.next()).identified, true);
    p.send({ identity: anon.user.name, token: anon.accessToken });
    await p.next(); // refused or not, the first credential is still watched
    const res = await fetch(`${h.t.url}/auth/revoke/`, { method: "POST", body: JSON.stringify({ accessToken: alice.token }) });
    assert.equal(res.status, 204);
    assert.deepEqual(await p.waitFor((f) => "error" in f), { error: { code: 401, msg: "token.revoked" } });
    assert.equal((await p.c.waitClose()).code, 1008);
  });

  it("a token cookie that is not valid percent-encoding leaves a guest, not a broken socket", async () => {
    const p = await h.peer("", { cookie: "switchboard_token=%E0" });
    assert.equal(p.user.verified, false);
    assert.match(p.user.username, /^Guest-/);
  });
});

describe("instalk: absurdly nested JSON", () => {
  const h = instalkServer(unthrottled);

  it("is json.malformed (400), costs the server no stack trace, and the socket stays usable", async () => {
    const r = newRoom();
    const [a] = await h.members(r, 1);
    const deep = "[".repeat(5000) + "]".repeat(5000);
    a.send(`{"r":"${r}","o":"msg","data":{"body":"x","mentions":${deep}}}`);
    assert.deepEqual(await a.next(), { error: { code: 400, msg: "json.malformed" } });
    assert.equal(h.t.logs.filter((l) => l.level === 50).length, 0, "no error logs");
    a.send({ r, o: "msg", data: { body: "still here", mentions: [[["fine"]]] } });
    assert.equal((await a.op(r, "msg")).data.body, "still here");
  });
});
