// /metrics answers GET only; it can be moved to a port of its own
// (metrics.port / metrics.host), off the public one, and protected with a
// bearer token (metrics.token).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { freePort } from "../helpers/server-process.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

const TOKEN = "metrics-token-0123456789abcdef";

describe("/metrics on the main port", () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.stop());

  it("GET is answered with Prometheus text; every other method is 405 with Allow: GET", async () => {
    const res = await fetch(`${t.url}/metrics`);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /switchboard_connections/);
    for (const method of ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"]) {
      const refused = await fetch(`${t.url}/metrics`, { method, body: method === "POST" || method === "PUT" || method === "PATCH" ? "x" : undefined });
      assert.equal(refused.status, 405, method);
      assert.equal(refused.headers.get("allow"), "GET");
      await refused.arrayBuffer();
    }
  });
});

describe("/metrics with a token", () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ metrics: { token: TOKEN } });
  });
  after(() => t.stop());

  it("wants Authorization: Bearer <token>: none or a wrong one is 401", async () => {
    const get = (headers: Record<string, string> = {}) => fetch(`${t.url}/metrics`, { headers });
    const none = await get();
    assert.equal(none.status, 401);
    assert.match(none.headers.get("www-authenticate") ?? "", /^Bearer/);
    assert.equal((await get({ authorization: `Bearer ${TOKEN}x` })).status, 401);
    assert.equal((await get({ authorization: TOKEN })).status, 401);
    const ok = await get({ authorization: `Bearer ${TOKEN}` });
    assert.equal(ok.status, 200);
    assert.match(await ok.text(), /switchboard_frames_in_total/);
  });
});

describe("/metrics on a port of its own", () => {
  let t: TestServer;
  let port: number;
  before(async () => {
    port = await freePort();
    t = await startTestServer({ metrics: { port, host: "127.0.0.1", token: TOKEN } });
  });
  after(() => t.stop());

  it("is served there (GET, with the token) and no longer on the public port", async () => {
    assert.equal((await fetch(`${t.url}/metrics`)).status, 404, "gone from the public port");
    const at = `http://127.0.0.1:${port}`;
    assert.equal((await fetch(`${at}/metrics`)).status, 401);
    const ok = await fetch(`${at}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(ok.status, 200);
    assert.match(await ok.text(), /process_cpu_seconds_total/);
    assert.equal((await fetch(`${at}/metrics`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` } })).status, 405);
    assert.equal((await fetch(`${at}/healthz`)).status, 404, "only /metrics lives there");
  });

  it("closes with the server", async () => {
    await t.stop();
    await assert.rejects(fetch(`http://127.0.0.1:${port}/metrics`));
    t = await startTestServer();
  });
});
