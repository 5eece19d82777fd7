// limits.connectionsPerAddress: one client address may hold so many open
// connections on a node (WebSocket, SSE and long-poll alike); past it the
// upgrade or the request opening a session is refused with HTTP 429. The
// address is the one the transport decided: the peer's, or behind a trusted
// proxy the right-most untrusted X-Forwarded-For hop.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { PollClient, SseClient } from "../helpers/http-clients.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { WebSocket } from "ws";

const LIMIT = 4;

/** The HTTP status a WebSocket upgrade was refused with, or 101 when it was accepted (the socket is then kept in `open`). */
function upgrade(t: TestServer, open: WebSocket[], headers: Record<string, string> = {}, localAddress?: string): Promise<number> {
  const ws = new WebSocket(t.ws("/websocket"), { headers, localAddress });
  ws.on("error", () => undefined);
  return new Promise((resolve) => {
    ws.once("open", () => {
      open.push(ws);
      resolve(101);
    });
    ws.once("unexpected-response", (_req, res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    ws.once("error", () => resolve(0));
  });
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("connections per address", () => {
  let t: TestServer;
  const open: WebSocket[] = [];
  before(async () => {
    t = await startTestServer({ limits: { connectionsPerAddress: LIMIT } });
  });
  after(async () => {
    for (const c of open) c.terminate();
    await t.stop();
  });

  it(`the ${LIMIT + 1}th connection from one address is refused with 429, whatever the transport; closing one makes room`, async () => {
    for (let i = 0; i < LIMIT; i++) assert.equal(await upgrade(t, open), 101);
    assert.equal(await upgrade(t, open), 429, "a WebSocket upgrade");
    await assert.rejects(SseClient.connect(`${t.url}/websocket/sse`), { status: 429 }, "an SSE stream");
    await assert.rejects(PollClient.connect(`${t.url}/websocket/poll`), { status: 429 }, "a long-poll session");
    const res = await fetch(`${t.url}/websocket/poll`);
    assert.equal(res.status, 429);
    assert.equal(res.headers.get("retry-after"), "10");
    assert.deepEqual(await res.json(), { code: 429, reason: "too many connections from this address" });
    // Plain HTTP requests are not connections: the API and the probes still answer.
    assert.equal((await fetch(`${t.url}/healthz`)).status, 200);
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    assert.match(metrics, /switchboard_connections_refused_total\{reason="per-address"\} [1-9]/);
    open.shift()!.close();
    await until(async () => (await upgrade(t, open)) === 101, "room for one more");
  });

  it("another address has its own allowance", async () => {
    assert.equal(await upgrade(t, open), 429);
    assert.equal(await upgrade(t, open, {}, "127.0.0.2"), 101);
  });

  it("X-Forwarded-For from an untrusted peer is not believed", async () => {
    assert.equal(await upgrade(t, open, { "X-Forwarded-For": "203.0.113.9" }), 429);
  });
});

describe("connections per address behind a trusted proxy", () => {
  let t: TestServer;
  const open: WebSocket[] = [];
  before(async () => {
    t = await startTestServer({ trustedProxies: ["127.0.0.1"], limits: { connectionsPerAddress: 2 } });
  });
  after(async () => {
    for (const c of open) c.terminate();
    await t.stop();
  });

  it("counts the client address the proxy forwards, not the proxy's", async () => {
    const via = (address: string) => ({ "X-Forwarded-For": address });
    assert.equal(await upgrade(t, open, via("198.51.100.1")), 101);
    assert.equal(await upgrade(t, open, via("198.51.100.1")), 101);
    assert.equal(await upgrade(t, open, via("198.51.100.1")), 429);
    await assert.rejects(SseClient.connect(`${t.url}/websocket/sse`, via("198.51.100.1")), { status: 429 });
    assert.equal(await upgrade(t, open, via("198.51.100.2")), 101, "another client behind the same proxy");
    assert.equal(await upgrade(t, open, via("198.51.100.2, 127.0.0.1")), 101, "trusted hops are skipped");
    assert.equal(await upgrade(t, open, via("198.51.100.2")), 429);
  });
});
