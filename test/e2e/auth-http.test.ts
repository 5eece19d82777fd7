import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startTestServer, type TestServer } from "../helpers/server.js";
import type { TestClient } from "../helpers/ws-client.js";
import { account, assertError, bearer, call, identify, instalk, login, me, newName, PASSWORD, register } from "./auth-client.js";

const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

describe("HTTP auth API", () => {
  let t: TestServer;
  const sockets: TestClient[] = [];
  before(async () => {
    t = await startTestServer();
  });
  after(async () => {
    for (const c of sockets) c.terminate();
    await t.stop();
  });

  /** The token no longer works anywhere: the HTTP API, session keys, instalk identify and the instalk upgrade. */
  async function refusedEverywhere(token: string, name: string): Promise<void> {
    assertError(await me(t, token), 401, "token.invalid");
    assertError(await call(t, "POST", "/api/sessions", { accessToken: token }), 401, "token.invalid");
    const { c, user } = await instalk(t, `?token=${encodeURIComponent(token)}`);
    sockets.push(c);
    assert.equal(user.verified, false, "a refused token on the upgrade leaves a guest");
    assert.match(user.username as string, /^Guest-\d+$/);
    const reply = await identify(c, { identity: name, token });
    assert.deepEqual(reply, { identified: false, reason: { code: "token.invalid" } });
  }

  describe("POST /auth/anonymous/", () => {
    it("gives an anonymous access token for a new guest each time", async () => {
      const one = await call(t, "POST", "/auth/anonymous/");
      assert.equal(one.status, 200);
      assert.equal(one.body.authType, "anonymous");
      assert.match(one.body.accessToken, JWT);
      assert.match(one.body.user.name, /^Guest-\d+$/);
      assert.ok(Date.parse(one.body.expiresAt) > Date.now() + 86_000_000, "auth.anonymousTtlSeconds: a day");
      const two = await call(t, "POST", "/auth/anonymous");
      assert.equal(two.status, 200, "the path works without the trailing slash too");
      assert.notEqual(two.body.accessToken, one.body.accessToken);
      const who = await me(t, one.body.accessToken);
      assert.equal(who.status, 200);
      assert.equal(who.body.anonymous, true);
      assert.match(who.body.name, /^Guest-\d+$/);
      assert.notEqual(who.body.id, (await me(t, two.body.accessToken)).body.id);
    });

    it("refuses other methods with 405", async () => {
      assertError(await call(t, "GET", "/auth/anonymous/"), 405, "method.not-allowed");
    });
  });

  describe("POST /api/users", () => {
    it("registers: 201 with the public account, never the password or its hash", async () => {
      const name = newName("Reg");
      const reply = await call(t, "POST", "/api/users", { name, password: PASSWORD, mail: `${name}@example.org` });
      assert.equal(reply.status, 201);
      assert.deepEqual(Object.keys(reply.body).sort(), ["color", "created", "id", "mail", "name"]);
      assert.equal(reply.body.name, name);
      assert.equal(reply.body.mail, `${name}@example.org`);
      assert.match(reply.body.color, /^#[0-9A-F]{6}$/);
      assert.ok(Math.abs(Date.parse(reply.body.created) - Date.now()) < 60_000);
      assert.ok(!JSON.stringify(reply.body).includes(PASSWORD));
    });

    it("a name or mail already registered is 409, in any case", async () => {
      const name = newName("Dup");
      await register(t, name, PASSWORD, `${name}@example.org`);
      assertError(await call(t, "POST", "/api/users", { name, password: PASSWORD }), 409, "name.taken");
      assertError(await call(t, "POST", "/api/users", { name: name.toUpperCase(), password: PASSWORD }), 409, "name.taken");
      const mail = `${name}@EXAMPLE.org`.toUpperCase();
      assertError(await call(t, "POST", "/api/users", { name: newName("Dup"), password: PASSWORD, mail }), 409, "mail.taken");
    });

    it("an invalid name or mail is 400", async () => {
      for (const name of ["", " lead", "semi;colon", "x".repeat(33), "12345", "tab\there"]) {
        assertError(await call(t, "POST", "/api/users", { name, password: PASSWORD }), 400, "name.invalid");
      }
      for (const mail of ["plain", "@b.c", "a@", "a@b@c", "a b@c"]) {
        assertError(await call(t, "POST", "/api/users", { name: newName("Mail"), password: PASSWORD, mail }), 400, "mail.invalid");
      }
    });

    it("a password shorter than auth.minPasswordLength is 400", async () => {
      assertError(await call(t, "POST", "/api/users", { name: newName("Short"), password: "1234567" }), 400, "password.short");
    });

    it("malformed JSON, missing or mistyped fields are 400", async () => {
      assertError(await call(t, "POST", "/api/users", "{not json"), 400, "json.malformed");
      assertError(await call(t, "POST", "/api/users", ""), 400, "request.bad");
      assertError(await call(t, "POST", "/api/users", { name: newName() }), 400, "request.bad");
      assertError(await call(t, "POST", "/api/users", { name: 5, password: PASSWORD }), 400, "request.bad");
      assertError(await call(t, "POST", "/api/users", "[]"), 400, "request.bad");
    });

    it("a body over 64 KiB is 413", async () => {
      const reply = await call(t, "POST", "/api/users", { name: newName(), password: "p".repeat(70 * 1024) });
      assertError(reply, 413, "body.too-large");
    });

    it("other methods are 405", async () => {
      assertError(await call(t, "GET", "/api/users"), 405, "method.not-allowed");
      assertError(await call(t, "DELETE", "/api/users/"), 405, "method.not-allowed");
    });
  });

  describe("POST /auth/login/", () => {
    it("the right password gives a password access token for the account", async () => {
      const name = newName("Login");
      const made = await register(t, name);
      const reply = await call(t, "POST", "/auth/login/", { name, password: PASSWORD });
      assert.equal(reply.status, 200);
      assert.equal(reply.body.authType, "password");
      assert.match(reply.body.accessToken, JWT);
      assert.deepEqual(reply.body.user, { id: made.id, name });
      const ttl = Date.parse(reply.body.expiresAt) - Date.now();
      assert.ok(ttl > 86_000_000 && ttl <= 86_401_000, `expiresAt ${reply.body.expiresAt} is a day away`);
      assert.equal((await call(t, "POST", "/auth/login", { name: name.toUpperCase(), password: PASSWORD })).status, 200, "names are case-insensitive");
    });

    it("a wrong password and an unknown name get the same 401", async () => {
      const name = newName("Wrong");
      await register(t, name);
      const wrong = await call(t, "POST", "/auth/login/", { name, password: `${PASSWORD}!` });
      const unknown = await call(t, "POST", "/auth/login/", { name: newName("Nobody"), password: PASSWORD });
      assertError(wrong, 401, "credentials.invalid");
      assertError(unknown, 401, "credentials.invalid");
      assert.equal(wrong.body.reason, unknown.body.reason, "the reply does not tell which names exist");
    });

    it("a malformed body is 400 and GET is 405", async () => {
      assertError(await call(t, "POST", "/auth/login/", "{"), 400, "json.malformed");
      assertError(await call(t, "POST", "/auth/login/", { name: "x" }), 400, "request.bad");
      assertError(await call(t, "GET", "/auth/login/"), 405, "method.not-allowed");
    });
  });

  describe("GET /api/users/me", () => {
    it("answers the account a Bearer token stands for", async () => {
      const name = newName("Me");
      const made = await register(t, name, PASSWORD, `${name}@example.org`);
      const reply = await me(t, await login(t, name));
      assert.equal(reply.status, 200);
      assert.deepEqual(reply.body, made);
    });

    it("no token, a token that was not issued, or another scheme is 401", async () => {
      const { token } = await account(t, "Scheme");
      assertError(await call(t, "GET", "/api/users/me"), 401, "token.invalid");
      assertError(await me(t, "not-a-token"), 401, "token.invalid");
      assertError(await me(t, `${token.slice(0, -2)}xx`), 401, "token.invalid");
      assertError(await call(t, "GET", "/api/users/me", undefined, { authorization: `Basic ${token}` }), 401, "token.invalid");
    });
  });

  describe("revocation", () => {
    it("POST /auth/logout revokes the Bearer token everywhere; the account's other tokens keep working", async () => {
      const { name, token } = await account(t, "Logout");
      const other = await login(t, name);
      assert.equal((await me(t, token)).status, 200);
      const reply = await call(t, "POST", "/auth/logout", undefined, bearer(token));
      assert.equal(reply.status, 204);
      await refusedEverywhere(token, name);
      assert.equal((await me(t, other)).status, 200);
    });

    it("POST /auth/logout without a token it signed is 401", async () => {
      assertError(await call(t, "POST", "/auth/logout"), 401, "token.invalid");
      assertError(await call(t, "POST", "/auth/logout", undefined, bearer("garbage")), 401, "token.invalid");
    });

    it("POST /auth/revoke/ revokes the token in the body everywhere", async () => {
      const { name, token } = await account(t, "Revoke");
      const reply = await call(t, "POST", "/auth/revoke/", { accessToken: token });
      assert.equal(reply.status, 204);
      await refusedEverywhere(token, name);
    });

    it("POST /auth/revoke/ with something that is not a token is 400", async () => {
      assertError(await call(t, "POST", "/auth/revoke/", { accessToken: "garbage" }), 400, "token.invalid");
      assertError(await call(t, "POST", "/auth/revoke/", {}), 400, "request.bad");
    });

    it("an anonymous token can be revoked too", async () => {
      const { accessToken } = (await call(t, "POST", "/auth/anonymous/")).body;
      assert.equal((await call(t, "POST", "/auth/logout/", undefined, bearer(accessToken))).status, 204);
      assertError(await me(t, accessToken), 401, "token.invalid");
    });
  });

  describe("/api/sessions", () => {
    it("name+password, an access token, or anonymous each give a session key naming the user", async () => {
      const { id, name, token } = await account(t, "Keys");
      const byPassword = await call(t, "POST", "/api/sessions", { name, password: PASSWORD });
      assert.equal(byPassword.status, 201);
      assert.equal(byPassword.body.user_id, id);
      assert.equal(byPassword.body.authType, "password");
      assert.match(byPassword.body.key, /^[A-Za-z0-9_-]{24,}$/);
      const byToken = await call(t, "POST", "/api/sessions/", { accessToken: token });
      assert.equal(byToken.status, 201);
      assert.equal(byToken.body.user_id, id);
      assert.notEqual(byToken.body.key, byPassword.body.key, "one key per device session");
      const anon = await call(t, "POST", "/api/sessions", { anonymous: true });
      assert.equal(anon.status, 201);
      assert.equal(anon.body.authType, "anonymous");
      assert.notEqual(anon.body.user_id, id);
      const resolved = await t.server.core.accounts.resolveSessionKey(byPassword.body.key);
      assert.equal(resolved?.identity.id, id);
      assert.equal(resolved?.identity.name, name);
    });

    it("wrong credentials are 401, a body of no known shape 400", async () => {
      const { name } = await account(t, "KeyFail");
      assertError(await call(t, "POST", "/api/sessions", { name, password: "wrong password" }), 401, "credentials.invalid");
      assertError(await call(t, "POST", "/api/sessions", { accessToken: "garbage" }), 401, "token.invalid");
      assertError(await call(t, "POST", "/api/sessions", { anonymous: false }), 400, "request.bad");
      assertError(await call(t, "POST", "/api/sessions", "{]"), 400, "json.malformed");
      assertError(await call(t, "GET", "/api/sessions"), 405, "method.not-allowed");
    });

    it("DELETE /api/sessions/<key> is 204, then 404; the key no longer resolves", async () => {
      const { key } = (await call(t, "POST", "/api/sessions", { anonymous: true })).body;
      const gone = await call(t, "DELETE", `/api/sessions/${encodeURIComponent(key)}`);
      assert.equal(gone.status, 204);
      assert.equal(await t.server.core.accounts.resolveSessionKey(key), null);
      assertError(await call(t, "DELETE", `/api/sessions/${encodeURIComponent(key)}`), 404, "session.unknown");
      assertError(await call(t, "DELETE", "/api/sessions/never-issued"), 404, "session.unknown");
    });
  });
});

describe("HTTP auth API with auth.allowAnonymous false", () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ auth: { allowAnonymous: false } });
  });
  after(() => t.stop());

  it("anonymous tokens and anonymous session keys are 403; accounts still work", async () => {
    assertError(await call(t, "POST", "/auth/anonymous/"), 403, "anonymous.disabled");
    assertError(await call(t, "POST", "/api/sessions", { anonymous: true }), 403, "anonymous.disabled");
    const { token } = await account(t, "NoAnon");
    assert.equal((await me(t, token)).status, 200);
  });
});
