import assert from "node:assert/strict";
import { request, type IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { TestClient } from "../helpers/ws-client.js";

const MAX_QUEUE = 1_048_576;
const BODY = "x".repeat(4000);

async function joined(t: TestServer, room: string): Promise<TestClient> {
  const c = await TestClient.connect(t.ws("/websocket"));
  c.send({ v: "0.1" });
  await c.waitFor((f) => f.welcome === 1);
  c.send({ r: room, o: "join" });
  await c.waitFor((f) => f.o === "room-welcome");
  return c;
}

async function until(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const msgs = (c: TestClient) => c.frames.filter((f) => f.includes('"o":"msg"')).length;

/**
 * Sends `total` messages into the room in batches, each batch only once the
 * healthy reader has everything before it: however loaded the machine, the
 * healthy reader is never more than one batch (far below the bound) behind,
 * while a reader that stopped falls ever further behind.
 */
async function feed(sender: TestClient, healthy: TestClient, room: string, total: number, stop: () => boolean): Promise<number> {
  const BATCH = 50;
  let sent = 0;
  while (sent < total && !stop()) {
    for (let i = 0; i < BATCH; i++) sender.send({ r: room, o: "msg", data: { body: BODY } });
    sent += BATCH;
    await until(() => msgs(healthy) >= sent, `the healthy reader to have ${sent} messages`);
  }
  return sent;
}

describe("bounded memory per connection", () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ limits: { maxQueueBytes: MAX_QUEUE, messagesPerSecond: 100_000, burst: 100_000 } });
  });
  after(() => t.stop());

  const slowLogs = () => t.logs.filter((l) => l.msg === "slow reader disconnected").length;

  it("a WebSocket reader that stops reading is cut off with 1008 \"slow reader\"; a healthy member gets everything", async () => {
    const room = "flood-ws";
    const slow = await joined(t, room);
    const healthy = await joined(t, room);
    const sender = await joined(t, room);
    const before = slowLogs();
    // Stop reading at the TCP level: the server's writes back up into its queue.
    const socket = (slow.ws as unknown as { _socket: Socket })._socket;
    socket.pause();
    const sent = await feed(sender, healthy, room, 20_000, () => slowLogs() > before);
    await until(() => slowLogs() > before, "the slow-reader disconnect");
    assert.equal(msgs(healthy), sent, "the healthy member got every message");
    assert.equal(healthy.closed, null, "the healthy member is still connected");
    // The slow reader reads again: what the socket held, then the close that says why.
    socket.resume();
    const closed = await slow.waitClose(10_000);
    assert.deepEqual(closed, { code: 1008, reason: "slow reader" });
    assert.ok(msgs(slow) < sent, "the slow reader's backlog was dropped, not delivered");
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    assert.match(metrics, /switchboard_slow_reader_disconnects_total [1-9]/);
    await until(() => t.logs.some((l) => l.msg === "connection closed" && l.code === 1008), "the close logged with its code");
    healthy.close();
    sender.close();
  });

  it("an SSE reader that stops reading gets the close event 1008 \"slow reader\" when it reads again", async () => {
    const room = "flood-sse";
    const healthy = await joined(t, room);
    const sender = await joined(t, room);
    const before = slowLogs();
    let text = "";
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = request(`${t.url}/websocket/sse`, { headers: { accept: "text/event-stream" } }, resolve);
      req.on("error", reject);
      req.end();
    });
    res.setEncoding("utf8");
    res.on("data", (chunk: string) => (text += chunk));
    await until(() => text.includes("event: open"), "the open event");
    const sid = (JSON.parse(/event: open\ndata: (.*)\n/.exec(text)![1]) as { sid: string }).sid;
    const post = (frame: unknown) => fetch(`${t.url}/websocket/sse?sid=${encodeURIComponent(sid)}`, { method: "POST", body: JSON.stringify(frame) });
    await post({ v: "0.1" });
    await post({ r: room, o: "join" });
    await until(() => text.includes("room-welcome"), "the room welcome");
    res.pause();
    await feed(sender, healthy, room, 20_000, () => slowLogs() > before);
    await until(() => slowLogs() > before, "the slow-reader disconnect");
    const ended = new Promise<void>((resolve) => res.once("end", resolve));
    res.resume();
    await ended;
    assert.match(text, /event: close\ndata: \{"code":1008,"reason":"slow reader"\}\n\n$/);
    healthy.close();
    sender.close();
  });

  it("a long-poll session nobody polls while its frames pile up ends with 1008 \"slow reader\" in its 410", async () => {
    const room = "flood-poll";
    const healthy = await joined(t, room);
    const sender = await joined(t, room);
    const before = slowLogs();
    const { sid } = (await (await fetch(`${t.url}/websocket/poll`)).json()) as { sid: string };
    const at = `${t.url}/websocket/poll?sid=${encodeURIComponent(sid)}`;
    await fetch(at, { method: "POST", body: JSON.stringify({ v: "0.1" }) });
    await fetch(at, { method: "POST", body: JSON.stringify({ r: room, o: "join" }) });
    // One poll takes the welcome frames; then nobody polls.
    let got = "";
    while (!got.includes("room-welcome")) got += await (await fetch(at)).text();
    await feed(sender, healthy, room, 20_000, () => slowLogs() > before);
    await until(() => slowLogs() > before, "the slow-reader disconnect");
    const res = await fetch(at);
    assert.equal(res.status, 410);
    assert.deepEqual(((await res.json()) as { close: unknown }).close, { code: 1008, reason: "slow reader" });
    healthy.close();
    sender.close();
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
