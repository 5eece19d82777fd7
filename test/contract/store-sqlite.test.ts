import assert from "node:assert/strict";
import { describe, it } from "node:test";
import Database from "better-sqlite3";
import { latestVersion } from "../../src/engine/store/sqlite/migrations.js";
import { openTempSqlite, withHandle } from "./sqlite-temp.js";
import { storeContract } from "./store.contract.js";

storeContract("sqlite", openTempSqlite);

// SQLite specifics the portable contract cannot see.
const withTemp = (fn: (h: Awaited<ReturnType<typeof openTempSqlite>>) => Promise<void>) => withHandle(openTempSqlite, fn);
const event = (type: string) => ({ type, time: 2, sender: { id: "u", name: "U" }, data: {} });

describe("sqlite store", () => {
  it("rejects every append of a batch whose transaction fails, counters untouched", withTemp(async (h) => {
    await h.store.history.append("s", event("ok"));
    // A second connection plants a trigger that aborts the batch transaction from inside.
    const raw = new Database(h.file);
    raw.exec("CREATE TRIGGER boom BEFORE INSERT ON events WHEN NEW.type = 'boom' BEGIN SELECT RAISE(ABORT, 'boom'); END");
    const settled = await Promise.allSettled([
      h.store.history.append("s", event("ok")),
      h.store.history.bump("s"),
      h.store.history.append("s", event("boom")),
    ]);
    assert.deepEqual(settled.map((r) => r.status), ["rejected", "rejected", "rejected"]);
    assert.equal(await h.store.history.lastSeq("s"), 1);
    raw.exec("DROP TRIGGER boom");
    raw.close();
    assert.equal((await h.store.history.append("s", event("ok"))).seq, 2);
  }));

  it("opens in WAL mode and migrates idempotently", withTemp(async (h) => {
    await h.store.close();
    await (await h.reopen()).close();
    const raw = new Database(h.file, { readonly: true });
    assert.equal(raw.pragma("journal_mode", { simple: true }), "wal");
    // Every migration applied exactly once, in order, even after a second open.
    const versions = raw.prepare("SELECT version FROM schema_migrations ORDER BY version").all() as Array<{ version: number }>;
    assert.deepEqual(versions.map((v) => v.version), Array.from({ length: latestVersion }, (_, i) => i + 1));
    raw.close();
  }));

  it("upgrades rooms stored before revisions to rev 1, and CAS works on them", withTemp(async (h) => {
    const r = { id: "old", topic: "t", closed: false, locked: false, capacity: null, creator: null, admins: [], bans: [], meta: {}, created: 1, rev: 0 };
    await h.store.rooms.write(r, 0);
    await h.store.close();
    // Turn the file back into a v2 database holding that room.
    const raw = new Database(h.file);
    raw.exec("ALTER TABLE rooms DROP COLUMN rev; DELETE FROM schema_migrations WHERE version = 3; PRAGMA user_version = 2");
    raw.close();
    const again = await h.reopen();
    assert.equal((await again.rooms.get("old"))?.rev, 1);
    assert.equal(await again.rooms.write({ ...r, topic: "x" }, 0), null);
    assert.equal((await again.rooms.write({ ...r, topic: "x" }, 1))?.rev, 2);
  }));

  it("sweeps a backlog bigger than one sweep statement", withTemp(async (h) => {
    const raw = new Database(h.file);
    const put = raw.prepare("INSERT INTO kv (ns, key, value, expires_at) VALUES ('old', ?, '{}', ?)");
    raw.transaction(() => {
      for (let i = 0; i < 2_500; i++) put.run(`k${i}`, Date.now() - 1);
      put.run("live", null);
    })();
    raw.close();
    await h.reopen({ sweepMs: 25 });
    const deadline = Date.now() + 10_000;
    while ((await h.kvRowCount("old")) !== 1) {
      assert.ok(Date.now() < deadline, "swept in time");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.deepEqual(await h.store.kv.get("old", "live"), {});
  }));

  it("rejects appends after close", withTemp(async (h) => {
    await h.store.close();
    await assert.rejects(h.store.history.append("s", event("t")), /closed/);
  }));
});
