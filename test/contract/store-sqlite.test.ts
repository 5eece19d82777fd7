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

  it("rejects appends after close", withTemp(async (h) => {
    await h.store.close();
    await assert.rejects(h.store.history.append("s", event("t")), /closed/);
  }));
});
