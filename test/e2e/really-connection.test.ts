import assert from "node:assert/strict";
import { request } from "node:http";
import { describe, it } from "node:test";
import { assertRefused, reallyServer, type Frame } from "../helpers/really.js";
import { TestClient } from "../helpers/ws-client.js";

/** The raw HTTP answer to an upgrade request, for refusals that happen before any socket exists. */
function upgradeAnswer(port: number, path: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ port, host: "127.0.0.1", path, headers: { Connection: "Upgrade", Upgrade: "websocket", "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==" } });
    req.on("response", (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, type: String(res.headers["content-type"]), body }));
    });
    req.on("upgrade", () => reject(new Error("upgraded")));
    req.on("error", reject);
    req.end();
  });
}

describe("really: connection life cycle", () => {
  const h = reallyServer({ really: { idleMs: 400 } });

  it("refuses an unsupported protocol version with HTTP 400 JSON before the upgrade", async () => {
    for (const path of ["/v0.2/socket", "/v1/socket", "/vx/socket/"]) {
      const answer = await upgradeAnswer(h.t.port, path);
      assert.equal(answer.status, 400, path);
      assert.match(answer.type, /^application\/json/);
      assert.deepEqual(JSON.parse(answer.body), { code: 400, reason: "protocol version is not supported" });
    }
    await assert.rejects(TestClient.connect(h.t.ws("/v0.2/socket")), /HTTP 400/);
  });

  it("initializes with an access token: connection-handle and the user, tag echoed", async () => {
    const account = await h.account("ann");
    const c = await h.socket();
    c.send({ tag: 41, cmd: "initialize", accessToken: account.token });
    const reply = await c.take(() => true);
    assert.equal(reply.tag, 41);
    assert.equal(reply.evt, "initialized");
    assert.equal(typeof reply.body["connection-handle"], "string");
    assert.deepEqual(reply.body.user, { _r: `/users/${account.id}`, name: account.name, authType: "password" });
    const anon = await (await h.socket()).initialize(await h.anonymousToken());
    assert.equal(anon.user.authType, "anonymous");
    assert.match(anon.user._r, /^\/users\/.+/);
    assert.notEqual(anon["connection-handle"], reply.body["connection-handle"]);
  });

  it("answers a missing, invalid or expired token with 401 and stays usable", async () => {
    const expired = await h.t.server.core.accounts.issueToken({ id: "u-expired", name: "Old" }, "anonymous", 1);
    await new Promise((r) => setTimeout(r, expired.claims.expiresAt - Date.now() + 20));
    const c = await h.socket();
    for (const fields of [{}, { accessToken: "nonsense" }, { accessToken: 42 }, { accessToken: expired.token }]) {
      assertRefused(await c.request("initialize", fields), 401, "invalid/incorrect/expired access token");
    }
    await c.initialize(await h.anonymousToken());
  });

  it("answers anything before initialize with initialize.required and pushes nothing", async () => {
    const c = await h.socket();
    for (const cmd of ["ping", "get", "read", "nonsense"]) {
      const reply = await c.request(cmd, { r: "/notes/x" });
      assert.deepEqual(reply.error, { code: 400, message: "initialize.required" }, cmd);
    }
    const other = await h.client();
    await other.request("create", { r: "/rooms/", body: { name: "quiet-room" } });
    await other.request("create", { r: "/rooms/quiet-room/messages/", body: { body: "hello?" } });
    assert.equal(await c.silentFor(150), true);
  });

  it("answers ping with pinged and echoes every tag", async () => {
    const c = await h.client();
    for (const tag of [0, 2, 99_999]) {
      c.send({ tag, cmd: "ping" });
      assert.deepEqual(await c.take((f) => f.tag === tag), { tag, evt: "pinged" });
    }
  });

  it("answers an unknown command with 454 command.unknown", async () => {
    const c = await h.client();
    c.send({ tag: 7, cmd: "explode" });
    assert.deepEqual(await c.take((f) => f.tag === 7), { tag: 7, error: { code: 454, message: "command.unknown" } });
  });

  it("refuses a frame without an integer tag and keeps the socket", async () => {
    const c = await h.client();
    for (const frame of [{ cmd: "ping" }, { tag: "1", cmd: "ping" }, { tag: 1.5, cmd: "ping" }, [1, 2], 5]) {
      c.send(frame);
      const reply = await c.take((f) => Boolean(f.error));
      assert.equal(reply.error.code, 400);
      assert.equal(reply.error.message, "request.invalid");
    }
    assert.equal((await c.request("ping")).evt, "pinged");
  });

  it("answers malformed JSON with json.malformed, then closes", async () => {
    const c = await h.client();
    c.send("{not json");
    assert.deepEqual(await c.take(() => true), { error: { code: 400, message: "json.malformed" } });
    await c.waitClose();
    const fresh = await h.socket();
    fresh.send("[[[");
    assert.equal((await fresh.take(() => true)).error.message, "json.malformed");
    await fresh.waitClose();
  });

  it("pushes kicked and closes after idleMs without a frame, and pings keep it open", async () => {
    const idle = await h.client();
    const busy = await h.client();
    const until = Date.now() + 700;
    while (Date.now() < until) {
      await busy.request("ping");
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(await idle.push("kicked"), { evt: "kicked" });
    await idle.waitClose();
    assert.equal(busy.c.closed, null);
  });

  it("closes an uninitialized idle socket without a word", async () => {
    const c = await h.socket();
    await c.waitClose(2000);
    assert.deepEqual(c.c.frames, []);
  });

  it("pushes token-expired and closes when the token is revoked", async () => {
    const account = await h.account("revoked");
    const c = await h.client(account.token);
    await c.request("ping");
    const out = await h.post("/auth/logout", {}, { authorization: `Bearer ${account.token}` });
    assert.equal(out.status, 204);
    assert.deepEqual(await c.push("token-expired"), { evt: "token-expired" });
    await c.waitClose();
  });

  it("pushes token-expired and closes the moment the token expires", async () => {
    const token = await h.t.server.core.accounts.issueToken({ id: "u-short", name: "Short" }, "anonymous", 1);
    const c = await h.client(token.token);
    // Pings keep the idle timer (400 ms here) away; the token's own expiry must end the socket.
    const pinging = setInterval(() => c.send({ tag: 0, cmd: "ping" }), 100);
    try {
      const frame: Frame = await c.push("token-expired", () => true, 3000);
      assert.deepEqual(frame, { evt: "token-expired" });
      assert.ok(Date.now() >= token.claims.expiresAt, "not before the expiry");
      await c.waitClose();
    } finally {
      clearInterval(pinging);
    }
  });
});

describe("really: limits", () => {
  const h = reallyServer({ limits: { messagesPerSecond: 5, burst: 5, maxFrameBytes: 2048 } });

  it("refuses an oversize frame with 413 and a flood with 429, and stays open", async () => {
    const c = await h.client();
    c.send({ tag: 1, cmd: "ping", pad: "x".repeat(3000) });
    assert.equal((await c.take((f) => Boolean(f.error))).error.code, 413);
    for (let tag = 10; tag < 20; tag++) c.send({ tag, cmd: "ping" });
    const limited = await c.take((f) => f.error?.code === 429);
    assert.equal(limited.error.message, "rate.limited");
    await new Promise((r) => setTimeout(r, 1100));
    assert.equal((await c.request("ping")).evt, "pinged");
  });
});
