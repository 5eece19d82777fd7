import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { assertGuest, instalkServer, Peer } from "../helpers/instalk.js";

describe("instalk session: init and heart-beat", () => {
  const h = instalkServer();

  it('{"v":"0.1"} is answered with welcome and a generated guest User', async () => {
    const c = await h.socket();
    c.send({ v: "0.1" });
    const welcome = await c.next();
    assert.deepEqual(Object.keys(welcome).sort(), ["user", "welcome"]);
    assert.equal(welcome.welcome, 1);
    assertGuest(welcome.user);
  });

  it("every connection gets its own id and guest name", async () => {
    const [a, b] = [await h.peer(), await h.peer()];
    assert.notEqual(a.user.id, b.user.id);
    assert.notEqual(a.user.username, b.user.username);
  });

  it("an unsupported version is refused with the supported list, then the socket is closed", async () => {
    for (const v of ["0.2", 0.1, null]) {
      const c = await h.socket();
      c.send({ v });
      assert.deepEqual(await c.next(), { o: "connect-failed", reason: { code: "version.unsupported", supported: ["0.1"] } });
      assert.equal((await c.waitClose()).code, 1002);
    }
  });

  it("any other first frame is refused with init.required, then the socket is closed", async () => {
    const oversizeInit = `{"v":"0.1"}${" ".repeat(64 * 1024)}`;
    for (const first of [{ "heart-beat": 1 }, { r: "lobby", o: "join" }, { identity: "Ann" }, "{not json", "[1]", oversizeInit]) {
      const c = await h.socket();
      c.send(first);
      assert.deepEqual(await c.next(), { o: "connect-failed", reason: { code: "init.required" } }, `first frame ${JSON.stringify(first).slice(0, 40)}`);
      assert.equal((await c.waitClose()).code, 1002);
    }
  });

  it("heart-beat is acknowledged with the same number, whatever number it is", async () => {
    const p = await h.peer();
    for (const n of [1, 0, -5, 3.25, 1e21, 42]) {
      p.send({ "heart-beat": n });
      assert.deepEqual(await p.next(), { "heart-beat-ack": n });
    }
  });

  it("a heart-beat that is not a number is a bad request", async () => {
    const p = await h.peer();
    p.send({ "heart-beat": "x" });
    const f = await p.next();
    assert.equal(f.error.code, 400);
    assert.equal(f.error.msg, "request.bad");
    assert.ok(f.error.errors["heart-beat"]);
  });

  it("a second init re-sends the welcome with the same user", async () => {
    const p = await h.peer();
    p.send({ v: "0.1" });
    assert.deepEqual(await p.next(), { welcome: 1, user: p.user });
  });

  it("when every four-digit guest name is in use, guests get a longer number instead of waiting", async () => {
    const names = h.t.server.core.names;
    const all = Array.from({ length: 9000 }, (_, i) => `Guest-${1000 + i}`);
    for (const n of all) names.claim(n, "test-holder");
    try {
      const p = await h.peer();
      assertGuest(p.user);
      assert.match(p.user.username, /^Guest-\d{5,}$/);
    } finally {
      for (const n of all) names.release(n, "test-holder");
    }
  });
});

describe("instalk session: timeouts", () => {
  const h = instalkServer({ instalk: { graceMs: 300, idleMs: 300 } });

  it('a socket that sends nothing within the grace period gets {"timeout":1}, then a close', async () => {
    const started = Date.now();
    const c = await h.socket();
    assert.deepEqual(await c.next(2000), { timeout: 1 });
    assert.equal((await c.waitClose()).code, 1000);
    const took = Date.now() - started;
    assert.ok(took >= 250 && took < 1500, `timed out after ${took} ms`);
  });

  it('a socket idle after init gets {"timeout":1}, then a close', async () => {
    const p = await h.peer();
    const started = Date.now();
    assert.deepEqual(await p.next(2000), { timeout: 1 });
    assert.equal((await p.c.waitClose()).code, 1000);
    assert.ok(Date.now() - started >= 250);
  });

  it("any frame after init restarts the idle period", async () => {
    const p: Peer = await h.peer();
    for (let i = 0; i < 6; i++) {
      await new Promise((r) => setTimeout(r, 120));
      p.send({ "heart-beat": i });
      assert.deepEqual(await p.next(), { "heart-beat-ack": i });
    }
    // 720 ms alive with a 300 ms idle period; silence now ends it.
    assert.deepEqual(await p.next(2000), { timeout: 1 });
  });
});
