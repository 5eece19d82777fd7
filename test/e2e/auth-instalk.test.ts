import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { startTestServer, type TestServer } from "../helpers/server.js";
import type { TestClient } from "../helpers/ws-client.js";
import { account, bearer, call, identify, instalk, login, me, newName, register, type Json } from "./auth-client.js";

/** Accounts and tokens as instalk sees them: the upgrade token, identify, and revocation reaching open sockets. */

const VERIFIED_USER = ["auth", "color", "id", "info", "username", "verified"];

function assertAccountUser(user: Json, name: string): void {
  assert.deepEqual(Object.keys(user).sort(), VERIFIED_USER);
  assert.equal(user.verified, true);
  assert.equal(user.username, name);
}

/** The instalk 401 error frame, then the close. */
async function endedBy(c: TestClient, msg: "token.revoked" | "token.expired", timeoutMs = 3000): Promise<void> {
  const frame = await c.next(timeoutMs);
  assert.deepEqual(frame, { error: { code: 401, msg } });
  const closed = await c.waitClose(timeoutMs);
  assert.equal(closed.code, 1008);
}

describe("instalk with access tokens", () => {
  let t: TestServer;
  const sockets: TestClient[] = [];
  const open = async (query = "", headers: Record<string, string> = {}) => {
    const peer = await instalk(t, query, headers);
    sockets.push(peer.c);
    return peer;
  };
  before(async () => {
    t = await startTestServer();
  });
  afterEach(() => {
    for (const c of sockets.splice(0)) c.terminate();
  });
  after(() => t.stop());

  it("a token in ?token= or in the switchboard_token cookie welcomes that account, verified", async () => {
    const { name, token } = await account(t, "Upgrade");
    const byQuery = await open(`?token=${encodeURIComponent(token)}`);
    assertAccountUser(byQuery.user, name);
    const byCookie = await open("", { cookie: `theme=dark; switchboard_token=${encodeURIComponent(token)}` });
    assertAccountUser(byCookie.user, name);
    assert.equal(byCookie.user.id, byQuery.user.id, "one account, one user id");
  });

  it("an anonymous token welcomes its guest, unverified", async () => {
    const { accessToken } = (await call(t, "POST", "/auth/anonymous/")).body;
    const guest = (await me(t, accessToken)).body;
    const { user } = await open(`?token=${encodeURIComponent(accessToken)}`);
    assert.equal(user.verified, false);
    assert.equal(user.username, guest.name);
    assert.equal(user.id, guest.id);
  });

  it("revoking the token sends 401 token.revoked to every socket opened with it and closes them", async () => {
    const { token } = await account(t, "Revoked");
    const byQuery = await open(`?token=${encodeURIComponent(token)}`);
    const byCookie = await open("", { cookie: `switchboard_token=${encodeURIComponent(token)}` });
    const bystander = await open();
    assert.equal((await call(t, "POST", "/auth/revoke/", { accessToken: token })).status, 204);
    await endedBy(byQuery.c, "token.revoked");
    await endedBy(byCookie.c, "token.revoked");
    assert.ok(await bystander.c.silentFor(100), "other sockets notice nothing");
    assert.equal(bystander.c.closed, null);
  });

  it("logout closes the sockets of that token only, not of the account's other tokens", async () => {
    const { name, token } = await account(t, "LogoutWs");
    const second = await login(t, name);
    const mine = await open(`?token=${encodeURIComponent(token)}`);
    const other = await open(`?token=${encodeURIComponent(second)}`);
    assert.equal((await call(t, "POST", "/auth/logout", undefined, bearer(token))).status, 204);
    await endedBy(mine.c, "token.revoked");
    assert.ok(await other.c.silentFor(100));
    assert.equal(other.c.closed, null);
  });

  it("a token given in identify is watched too: revoking it ends that socket", async () => {
    const { name, token } = await account(t, "IdentWatch");
    const { c } = await open();
    assert.equal((await identify(c, { identity: name, token })).identified, true);
    await call(t, "POST", "/auth/revoke/", { accessToken: token });
    await endedBy(c, "token.revoked");
  });

  it("identify: an account's name needs its token; with it the user is verified and keeps the session id", async () => {
    const { name, token } = await account(t, "Owner");
    const { c, user } = await open();
    assert.deepEqual(await identify(c, { identity: name }), { identified: false, reason: { code: "name.taken" } });
    assert.deepEqual(await identify(c, { identity: name.toUpperCase(), mail: "x@y.z" }), { identified: false, reason: { code: "name.taken" } });
    const reply = await identify(c, { identity: name, token });
    assert.equal(reply.identified, true);
    assertAccountUser(reply.user, name);
    assert.equal(reply.user.id, user.id, "identify never changes the user's id");
  });

  it("identify with another account's token is token.invalid", async () => {
    const alice = await account(t, "Alice");
    const bob = await account(t, "Bob");
    const { c } = await open();
    assert.deepEqual(await identify(c, { identity: alice.name, token: bob.token }), { identified: false, reason: { code: "token.invalid" } });
    assert.deepEqual(await identify(c, { identity: newName("Free"), token: bob.token }), { identified: false, reason: { code: "token.invalid" } });
    c.send({ v: "0.1" });
    assert.equal(((await c.next()).user as Json).verified, false, "the refused identify changed nothing");
  });

  it("an account without a password (made by the core) still reserves its name", async () => {
    const name = newName("NoPass");
    const made = await t.server.core.accounts.register({ name, password: null });
    assert.ok(made.ok);
    const { c } = await open();
    assert.deepEqual(await identify(c, { identity: name }), { identified: false, reason: { code: "name.taken" } });
    assert.equal((await call(t, "POST", "/auth/login/", { name, password: "anything at all" })).status, 401, "and cannot log in by password");
  });

  it("a registered account's name is reserved even before its first login", async () => {
    const name = newName("Fresh");
    await register(t, name);
    const { c } = await open();
    assert.deepEqual(await identify(c, { identity: name }), { identified: false, reason: { code: "name.taken" } });
  });
});

describe("instalk with a token that expires while connected", () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ auth: { tokenTtlSeconds: 1 } });
  });
  after(() => t.stop());

  it("the socket gets 401 token.expired and is closed by the server, with no client frame", async () => {
    const { token } = await account(t, "Expiring");
    const { c, user } = await instalk(t, `?token=${encodeURIComponent(token)}`);
    try {
      assert.equal(user.verified, true);
      // A 1 s TTL lives 1-2 s (JWT expiry is whole seconds, rounded up); the wheel ticks every 100 ms.
      await endedBy(c, "token.expired", 3500);
    } finally {
      c.terminate();
    }
  });
});
