import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { TestClient } from "../helpers/ws-client.js";

async function pendingTimers(t: TestServer): Promise<number> {
  const text = await (await fetch(`${t.url}/metrics`)).text();
  const m = /^switchboard_timers_pending (\d+)/m.exec(text);
  assert.ok(m, "the metric is served");
  return Number(m[1]);
}

async function anonymousToken(t: TestServer): Promise<string> {
  return ((await (await fetch(`${t.url}/auth/anonymous/`, { method: "POST" })).json()) as { accessToken: string }).accessToken;
}

/** A closed connection leaves nothing behind: its timers (idle, token expiry 24 h away) go with it. */
describe("connection lifecycle", () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.stop());

  it("timers return to where they were after 40 token-authenticated connections open and close, cleanly or not", async () => {
    const before = await pendingTimers(t);
    for (let i = 0; i < 40; i++) {
      const token = await anonymousToken(t);
      const paths = [`/websocket?token=${token}`, "/v0.1/socket", "/pubsub"];
      const c = await TestClient.connect(t.ws(paths[i % 3]));
      if (i % 3 === 0) {
        c.send({ v: "0.1" });
        await c.next();
      } else if (i % 3 === 1) {
        c.send({ tag: 1, cmd: "initialize", accessToken: token });
        await c.next();
      } else {
        c.send({ op: "connect", type: "request", id: "1", auth: { provider: "switchboard", access_token: token } });
        await c.next();
      }
      if (i % 2 === 0) c.close();
      else c.terminate();
      await c.waitClose().catch(() => undefined);
    }
    for (let i = 0; i < 50 && (await pendingTimers(t)) > before; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(await pendingTimers(t), before);
  });
});
