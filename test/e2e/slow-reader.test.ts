import assert from "node:assert/strict";
import type { Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { TestClient } from "../helpers/ws-client.js";

async function joined(t: TestServer, room: string): Promise<TestClient> {
  const c = await TestClient.connect(t.ws("/websocket"));
  c.send({ v: "0.1" });
  await c.waitFor((f) => f.welcome === 1);
  c.send({ r: room, o: "join" });
  await c.waitFor((f) => f.o === "room-welcome");
  return c;
}

describe("bounded memory per connection", () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ limits: { maxQueueBytes: 1_048_576, messagesPerSecond: 100_000, burst: 100_000 } });
  });
  after(() => t.stop());

  it("a reader that stops reading is cut off; the other members keep receiving everything", async () => {
    const slow = await joined(t, "flood");
    const fast = await joined(t, "flood");
    const sender = await joined(t, "flood");
    // Stop reading at the TCP level: the server's writes back up into its queue.
    (slow.ws as unknown as { _socket: Socket })._socket.pause();
    const body = "x".repeat(4000);
    const total = 5000;
    for (let i = 0; i < total; i++) sender.send({ r: "flood", o: "msg", data: { body } });
    let seen = 0;
    while (seen < total) {
      const f = await fast.next(10_000);
      if (f.o === "msg") seen++;
    }
    assert.equal(seen, total, "a healthy member got every message");
    const slowLog = () => t.logs.some((l) => l.msg === "slow reader disconnected");
    for (let i = 0; i < 100 && !slowLog(); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(slowLog(), "the server logged the slow-reader disconnect");
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    assert.match(metrics, /switchboard_slow_reader_disconnects_total [1-9]/);
    fast.close();
    sender.close();
    slow.terminate();
  });

  it("a frame above the hard cap closes the socket with 1009 and the server stays up", async () => {
    const c = await joined(t, "big");
    c.send("x".repeat(2 * 1024 * 1024));
    const closed = await c.waitClose();
    assert.equal(closed.code, 1009);
    const res = await fetch(`${t.url}/healthz`);
    assert.equal(res.status, 200);
  });
});
