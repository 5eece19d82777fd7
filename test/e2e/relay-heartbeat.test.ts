import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { newRoom, relayServer, type Frame } from "../helpers/relay.js";

const INTERVAL = 300;
const TIMEOUT = 400;

describe("relay heartbeat: server pings", () => {
  const h = relayServer({ relay: { pingIntervalMs: INTERVAL, pongTimeoutMs: TIMEOUT } });

  it("the server pings every pingIntervalMs with UNIX seconds, and a client that pongs stays connected", async () => {
    const p = await h.peer();
    const opened = Date.now();
    const pings: Array<{ at: number; frame: Frame }> = [];
    while (pings.length < 4) {
      const frame = await p.of("ping", 2000);
      pings.push({ at: Date.now(), frame });
      assert.deepEqual(Object.keys(frame).sort(), ["time", "type"]);
      assert.equal(typeof frame.time, "number");
      assert.ok(Math.abs(frame.time - Date.now() / 1000) < 2, `ping time ${frame.time} is UNIX seconds, now`);
      p.send({ type: "pong", time: frame.time });
    }
    // The wheel ticks every 100 ms: each gap is the interval, give or take a tick or two.
    assert.ok(pings[0].at - opened >= INTERVAL - 150, "the first ping waits one interval");
    for (let i = 1; i < pings.length; i++) {
      const gap = pings[i].at - pings[i - 1].at;
      assert.ok(gap >= INTERVAL - 150 && gap <= INTERVAL + 250, `ping gap ${gap} ms`);
      assert.ok(pings[i].frame.time > pings[i - 1].frame.time);
    }
    assert.equal(p.c.closed, null);
    await p.drain();
  });

  it("no pong within pongTimeoutMs disconnects the socket with 4408, and its user exits its rooms", async () => {
    const r = newRoom();
    const [watcher, silent] = await h.members(r, 2);
    watcher.autoPong();
    const ping = await silent.of("ping", 2000);
    const pingedAt = Date.now();
    const closed = await silent.c.waitClose(3000);
    assert.deepEqual(closed, { code: 4408, reason: "pong timeout" });
    const waited = Date.now() - pingedAt;
    assert.ok(waited >= TIMEOUT - 150 && waited <= TIMEOUT + 500, `closed ${waited} ms after the ping (${ping.time})`);
    const exit = await watcher.of("exit", 2000);
    assert.deepEqual(exit, { type: "exit", user_id: silent.userId, room_id: r });
  });

  it("a pong with another time than the ping's does not count, and is refused", async () => {
    const p = await h.peer();
    const ping = await p.of("ping", 2000);
    p.send({ type: "pong", time: ping.time + 1 });
    const err = await p.of("error");
    assert.deepEqual(err, { type: "error", code: "pong.unexpected", message: err.message, ref: "pong" });
    assert.equal((await p.c.waitClose(3000)).code, 4408);
  });
});
