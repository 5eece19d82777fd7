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

  it("GET /metrics serves Prometheus text; the connection gauge follows opens and closes per dialect", async () => {
    const gauge = async () => {
      const res = await fetch(`${t.url}/metrics`);
      assert.equal(res.status, 200);
      const m = /switchboard_connections\{dialect="instalk"\} (\d+)/.exec(await res.text());
      return m ? Number(m[1]) : 0;
    };
    const before = await gauge();
    const { TestClient } = await import("../helpers/ws-client.js");
    const c = await TestClient.connect(t.ws("/websocket"));
    assert.equal(await gauge(), before + 1);
    c.close();
    await c.waitClose();
    for (let i = 0; i < 50 && (await gauge()) !== before; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(await gauge(), before);
    const opened = t.logs.filter((l) => l.dialect === "instalk" && (l.msg === "connection opened" || l.msg === "connection closed"));
    assert.ok(opened.length >= 2, "one log line per open and per close");
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

describe("hostile request targets", () => {
  it("a target that is not a URL gets 400, over plain HTTP and on an upgrade, and the server stays up", async () => {
    const t = await startTestServer();
    const { connect } = await import("node:net");
    const raw = (text: string) =>
      new Promise<string>((resolve) => {
        const s = connect(t.port, "127.0.0.1", () => s.write(text));
        let got = "";
        s.on("data", (d) => (got += d.toString()));
        s.on("close", () => resolve(got));
        s.on("error", () => resolve(got));
        setTimeout(() => s.destroy(), 1000);
      });
    assert.match(await raw("GET //[ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), /^HTTP\/1\.1 400/);
    const upgrade = "GET //[ HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    assert.match(await raw(upgrade), /^HTTP\/1\.1 400/);
    assert.equal((await fetch(`${t.url}/healthz`)).status, 200);
    await t.stop();
  });
});
