// "Disconnect a user everywhere" reaches connections that hold no credential
// at all, such as an instalk guest's or a fuse player's (logged in with fuse's
// own md5 challenge, over a WebSocket or over fuse's HTTP push and pull).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { FuseClient, httpLogin, loggedIn, newName, Pull, push, register } from "../helpers/fuse.js";
import type { TestServer } from "../helpers/server.js";
import { admin, enc, instalk, ok, startAdminServer } from "./admin-client.js";

describe("admin: disconnect a user who has no credential", () => {
  let t: TestServer;
  const open: FuseClient[] = [];
  before(async () => {
    t = await startAdminServer();
  });
  after(async () => {
    for (const c of open.splice(0)) c.close();
    await t.stop();
  });

  /** The id the operator sees for a fuse player: its account's, as the admin API lists it. */
  async function accountIdOf(name: string): Promise<string> {
    const { accounts } = await ok(t, "GET", `/api/admin/accounts?q=${enc(name)}`);
    const found = (accounts as Array<{ id: string; name: string }>).filter((a) => a.name === name);
    assert.equal(found.length, 1, `one account named ${name}: ${JSON.stringify(accounts)}`);
    return found[0].id;
  }

  /** A fuse player in the lobby that sees the others leave it. */
  async function observer(): Promise<FuseClient> {
    const c = await loggedIn(t, "obs");
    open.push(c);
    return c;
  }

  it("an instalk guest's socket is told and closed", async () => {
    const { c, user } = await instalk(t);
    const reply = await admin(t, "POST", `/api/admin/users/${encodeURIComponent(user.id)}/disconnect`, {});
    assert.equal(reply.status, 202);
    const closed = await c.waitClose(10_000);
    assert.equal(closed.code, 1008);
  });

  it("a fuse player on the WebSocket: its socket closes and it leaves the lobby; it may log in again", async () => {
    const watcher = await observer();
    const name = newName("wsdisc");
    const { key, id: fuseId } = await register(t, name);
    const c = await FuseClient.connect(t, name);
    open.push(c);
    assert.equal(await c.open(key), "open|done");
    const id = await accountIdOf(name);
    assert.notEqual(id, fuseId, "the operator's id is the account's, not fuse's numeric id");
    const reply = await admin(t, "POST", `/api/admin/users/${enc(id)}/disconnect`, {});
    assert.equal(reply.status, 202);
    // fuse has no goodbye line: the socket is closed, as a credential's end closes it.
    assert.equal(await c.waitClose(10_000), 1008);
    await watcher.waitFor((line) => line === `kill|${name}`, 10_000);
    // Nothing is stored: the same key logs in again.
    const again = await FuseClient.connect(t, name);
    open.push(again);
    assert.equal(await again.open(key), "open|done");
  });

  it("a fuse player over HTTP: its pull ends, its cookie is no session any more, and it leaves the lobby", async () => {
    const watcher = await observer();
    const name = newName("httpdisc");
    const cookie = await httpLogin(t, name);
    const pull = await Pull.open(t, name, { cookie });
    assert.equal(await pull.next(10_000), "noop", "the pull is attached");
    assert.equal((await push(t, name, "ping", { cookie })).text, "ping|done");
    const id = await accountIdOf(name);
    const reply = await admin(t, "POST", `/api/admin/users/${enc(id)}/disconnect`, {});
    assert.equal(reply.status, 202);
    try {
      await pull.waitEnd(10_000);
    } finally {
      pull.close();
    }
    await watcher.waitFor((line) => line === `kill|${name}`, 10_000);
    // What an unknown or logged-out cookie gets.
    assert.equal((await push(t, name, "ping", { cookie })).text, "main|fail|user not authorized");
    const refused = await Pull.open(t, name, { cookie });
    try {
      assert.equal(refused.res.statusCode, 401);
    } finally {
      refused.close();
    }
  });

  it("a fuse HTTP session that ends (exit) stops watching its user", async () => {
    const name = newName("httpexit");
    const cookie = await httpLogin(t, name);
    const id = await accountIdOf(name);
    const disconnects = t.server.core.revocations.disconnects;
    assert.equal(disconnects.watching(id), 1);
    assert.equal((await push(t, name, "exit", { cookie })).text, "exit|done");
    assert.equal(disconnects.watching(id), 0);
  });
});
