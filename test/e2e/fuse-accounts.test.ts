import assert from "node:assert/strict";
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { FuseClient, md5, newName, register } from "../helpers/fuse.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

describe("fuse accounts: user, salt, open", () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.stop());

  async function userReply(name: string, line: string): Promise<string> {
    const c = await FuseClient.connect(t, name);
    const reply = await c.cmd(line);
    c.close();
    return reply;
  }

  it("user|[mail]|[pass] registers: user|done|<key>|<id>, and does not log in", async () => {
    const name = newName();
    const c = await FuseClient.connect(t, name);
    const [, status, key, id] = (await c.cmd(`user|${name}@example.org|${md5(`secret${name}`)}`)).split("|");
    assert.equal(status, "done");
    assert.match(key, /^[0-9a-f]{32}$/);
    assert.match(id, /^\d{3,}$/);
    assert.equal(await c.cmd("ping"), "main|fail|user not authorized");
    c.close();
  });

  it("refusals come in the protocol's order", async () => {
    const taken = newName();
    await register(t, taken, `${taken}@example.org`);
    const cases: Array<[string, string, string]> = [
      ["ab", "user|not a mail|x", "user|fail|name too short"],
      ["a-b-c", "user|not a mail|x", "user|fail|name invalid"],
      ["12345", "user|not a mail|x", "user|fail|name alpha missing"],
      [newName(), "user|not a mail|x", "user|fail|mail invalid"],
      [newName(), "user|@example.org|x", "user|fail|mail invalid"],
      [newName(), "user||xy", "user|fail|pass too short"],
      [taken.toUpperCase(), `user|${taken}@example.org|xy`, "user|fail|pass too short"],
      [taken.toUpperCase(), `user|${taken}@example.org|xyz`, "user|fail|name already registered"],
      [newName(), `user|${taken}@example.org|xyz`, "user|fail|mail already registered"],
    ];
    for (const [name, line, expected] of cases) assert.equal(await userReply(name, line), expected, `${name}: ${line}`);
  });

  it("an empty name registers an anonymous user whose name is its id", async () => {
    const c = await FuseClient.connect(t, "");
    const [, status, key, id] = (await c.cmd("user||")).split("|");
    assert.equal(status, "done");
    c.close();
    const anon = await FuseClient.connect(t, id);
    assert.equal(await anon.open(key), "open|done");
    assert.equal(await anon.cmd("ping"), "ping|done");
    anon.close();
  });

  it("salt|done|<8 characters>, each good for one open", async () => {
    const name = newName();
    const { key } = await register(t, name);
    const c = await FuseClient.connect(t, name);
    const salt = (await c.cmd("salt")).split("|")[2];
    assert.match(salt, /^[A-Za-z0-9]{8}$/);
    assert.equal(await c.cmd(`open|${salt}|${md5(key + "x" + salt)}`), "open|fail|wrong pass");
    assert.equal(await c.cmd(`open|${salt}|${md5(key + salt)}`), "open|fail|salt not found", "a salt is used up even by a wrong pass");
    assert.equal(await c.cmd(`open|nosuchsa|${md5(key)}`), "open|fail|salt not found");
    c.close();
  });

  it("open takes md5(key + salt) or md5(pass + salt); an unknown user is refused first", async () => {
    const name = newName();
    const pass = md5(`hunter2${name}`);
    const { key } = await register(t, name, "", pass);
    const byPass = await FuseClient.connect(t, name);
    assert.equal(await byPass.open(pass), "open|done");
    byPass.close();
    const byKey = await FuseClient.connect(t, name);
    assert.equal(await byKey.open(key), "open|done");
    byKey.close();
    const nobody = await FuseClient.connect(t, newName());
    assert.equal(await nobody.cmd("open|whatever|abc"), "open|fail|user not found");
    nobody.close();
  });

  it("open needs a name: main|fail|name missing / name too short", async () => {
    const none = await FuseClient.connect(t, "");
    assert.equal(await none.cmd("open|a|b"), "main|fail|name missing");
    assert.equal(await none.cmd("ping"), "main|fail|name missing");
    none.close();
    const short = await FuseClient.connect(t, "ab");
    assert.equal(await short.cmd("open|a|b"), "main|fail|name too short");
    short.close();
  });

  it("the key and pass are stored encrypted, with the key file beside the data (mode 0600)", async () => {
    const name = newName();
    const pass = md5(`pw${name}`);
    const { key } = await register(t, name, "", pass);
    const account = await t.server.core.accounts.byName(name);
    const stored = JSON.stringify(account?.meta);
    assert.ok(!stored.includes(key) && !stored.includes(pass), "neither secret appears in clear");
    const info = await stat(join(t.dataDir, "fuse.key"));
    assert.equal(info.mode & 0o777, 0o600);
  });

  it("a fuse account logs in elsewhere with its pass (POST /auth/login)", async () => {
    const name = newName();
    const pass = md5(`pw${name}`);
    await register(t, name, "", pass);
    const res = await fetch(`${t.url}/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name, password: pass }) });
    assert.equal(res.status, 200);
    const anonymous = newName();
    const { key } = await register(t, anonymous);
    const byKey = await fetch(`${t.url}/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: anonymous, password: key }) });
    assert.equal(byKey.status, 200, "without a pass, the key is the account password");
  });
});
