import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startTestServer, type TestServer } from "../helpers/server.js";

describe("health, readiness and metrics", () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.stop());

  it("GET /healthz answers 200 while the process serves", async () => {
    const res = await fetch(`${t.url}/healthz`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: "ok" });
  });

  it("GET /readyz answers 200 once the store is open and the port listens", async () => {
    const res = await fetch(`${t.url}/readyz`);
    assert.equal(res.status, 200);
  });

  it("GET /metrics serves Prometheus text with the connection gauge", async () => {
    const res = await fetch(`${t.url}/metrics`);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /switchboard_connections/);
  });

  it("an unknown path is a JSON 404, and an upgrade on it is refused", async () => {
    const res = await fetch(`${t.url}/nope`);
    assert.equal(res.status, 404);
    assert.equal((await res.json()).code, 404);
  });
});

describe("draining", () => {
  it("/readyz turns 503 while the server drains, and open sockets get a 1001 close", async () => {
    const t = await startTestServer();
    const { TestClient } = await import("../helpers/ws-client.js");
    const c = await TestClient.connect(t.ws("/websocket"));
    c.send({ v: "0.1" });
    await c.next();
    const stopping = t.server.stop();
    const res = await fetch(`${t.url}/readyz`).catch(() => null);
    if (res) assert.equal(res.status, 503);
    const closed = await c.waitClose();
    assert.equal(closed.code, 1001);
    await stopping;
    await t.stop();
  });
});
