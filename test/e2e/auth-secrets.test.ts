import assert from "node:assert/strict";
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { account, assertError, call, dataDir, instalk, login, me, PASSWORD, removeDataDirs } from "./auth-client.js";

/** What is kept on disk and in logs, the signing secret, rotation and expiry: servers restarted on one data folder. */

after(removeDataDirs);

/** Every file below `dir`, as bytes. */
async function allBytes(dir: string): Promise<Array<[string, Buffer]>> {
  const out: Array<[string, Buffer]> = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) {
      const file = join(entry.parentPath, entry.name);
      out.push([file, await readFile(file)]);
    }
  }
  return out;
}

/** Runs `work` against a server on `dir`, stopping it whatever happens. */
async function on<T>(dir: string, overrides: Record<string, unknown>, work: (t: TestServer) => Promise<T>): Promise<T> {
  const t = await startTestServer(overrides, dir);
  try {
    return await work(t);
  } finally {
    await t.stop();
  }
}

const SECRET_A = "first-secret-0123456789abcdef";
const SECRET_B = "second-secret-0123456789abcdef";

describe("the signing secret", () => {
  it("is generated into <data>/secret.key with mode 0600 on first start and reused on restart: tokens survive", async () => {
    const dir = await dataDir();
    const file = join(dir, "secret.key");
    const { token, name } = await on(dir, {}, (t) => account(t, "Restart"));
    const info = await stat(file);
    assert.equal(info.mode & 0o777, 0o600);
    const secret = await readFile(file, "utf8");
    assert.ok(secret.trim().length >= 32, "32 random bytes, base64url");
    await on(dir, {}, async (t) => {
      const who = await me(t, token);
      assert.equal(who.status, 200, "a token from before the restart still verifies");
      assert.equal(who.body.name, name);
    });
    assert.equal(await readFile(file, "utf8"), secret, "the same secret, not a new one");
  });

  it("a configured auth.secret is used instead, and no file is written", async () => {
    const dir = await dataDir();
    await on(dir, { auth: { secret: SECRET_A } }, (t) => account(t, "Configured"));
    await assert.rejects(stat(join(dir, "secret.key")), { code: "ENOENT" });
  });

  it("rotation: a token signed with a secret listed in auth.previousSecrets verifies; once unlisted it is refused", async () => {
    const dir = await dataDir();
    const old = await on(dir, { auth: { secret: SECRET_A } }, (t) => account(t, "Rotate"));
    const fresh = await on(dir, { auth: { secret: SECRET_B, previousSecrets: [SECRET_A] } }, async (t) => {
      assert.equal((await me(t, old.token)).status, 200, "the old secret still verifies");
      return login(t, old.name);
    });
    await on(dir, { auth: { secret: SECRET_B } }, async (t) => {
      assertError(await me(t, old.token), 401, "token.invalid");
      assert.equal((await me(t, fresh)).status, 200, "tokens are signed with the first (new) secret");
    });
    await on(dir, { auth: { secret: SECRET_A } }, async (t) => {
      assertError(await me(t, fresh), 401, "token.invalid");
    });
  });

  it("an anonymous token from one server verifies on another only when they share a secret", async () => {
    const token = await on(await dataDir(), { auth: { secret: SECRET_A } }, async (t) => (await call(t, "POST", "/auth/anonymous/")).body.accessToken as string);
    await on(await dataDir(), { auth: { secret: SECRET_B, previousSecrets: [SECRET_A] } }, async (t) => {
      assert.equal((await me(t, token)).status, 200);
    });
    await on(await dataDir(), { auth: { secret: SECRET_B } }, async (t) => {
      assertError(await me(t, token), 401, "token.invalid");
    });
  });
});

describe("token lifetime", () => {
  it("a token past auth.tokenTtlSeconds is refused, and cannot be revoked or traded for a session key", async () => {
    await on(await dataDir(), { auth: { tokenTtlSeconds: 1 } }, async (t) => {
      const { name } = await account(t, "Expire");
      const reply = await call(t, "POST", "/auth/login/", { name, password: PASSWORD });
      const token = reply.body.accessToken as string;
      const expiresAt = Date.parse(reply.body.expiresAt);
      assert.ok(expiresAt - Date.now() >= 900 && expiresAt - Date.now() <= 2000, "a 1 s TTL lives 1-2 s");
      assert.equal((await me(t, token)).status, 200);
      await new Promise((r) => setTimeout(r, expiresAt - Date.now() + 50));
      assertError(await me(t, token), 401, "token.invalid");
      assertError(await call(t, "POST", "/api/sessions", { accessToken: token }), 401, "token.invalid");
      assertError(await call(t, "POST", "/auth/revoke/", { accessToken: token }), 400, "token.invalid");
      const { c, user } = await instalk(t, `?token=${encodeURIComponent(token)}`);
      c.terminate();
      assert.equal(user.verified, false, "an expired token on the upgrade leaves a guest");
    });
  });
});

describe("what is stored and logged", () => {
  it("the password is kept only as an scrypt hash; neither it nor a token appears in the data folder or the logs", async () => {
    const dir = await dataDir();
    const password = "Zebra-Quartz-Unique-7781";
    let token = "";
    let logs: Array<Record<string, unknown>> = [];
    await on(dir, { auth: { secret: SECRET_A } }, async (t) => {
      const name = `Secretive-${process.pid}`;
      await call(t, "POST", "/api/users", { name, password, mail: "s@example.org" });
      token = await login(t, name, password);
      assertError(await call(t, "POST", "/auth/login/", { name, password: `${password}-wrong` }), 401, "credentials.invalid");
      const stored = await t.server.core.store.accounts.byName(name);
      assert.match(stored?.passwordHash ?? "", /^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
      const { c } = await instalk(t, `?token=${encodeURIComponent(token)}`);
      await call(t, "POST", "/api/sessions", { name, password });
      await call(t, "POST", "/api/sessions", { accessToken: token });
      c.terminate();
      logs = t.logs;
    });
    assert.ok(logs.length > 3, "the server did log");
    const logText = JSON.stringify(logs);
    assert.ok(!logText.includes(password), "password in the logs");
    assert.ok(!logText.includes(token), "token in the logs");
    const files = await allBytes(dir);
    assert.ok(files.some(([f]) => /\.(db|sqlite)/.test(f)), `a store file: ${files.map(([f]) => f).join(", ")}`);
    for (const [file, bytes] of files) {
      assert.equal(bytes.indexOf(password), -1, `password in ${file}`);
      assert.equal(bytes.indexOf(token), -1, `token in ${file}`);
      // The signature alone is what forging needs; it must not be kept either.
      assert.equal(bytes.indexOf(token.split(".")[2]), -1, `token signature in ${file}`);
    }
  });
});
