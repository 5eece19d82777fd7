import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import Database from "better-sqlite3";
import { latestVersion } from "../../src/engine/store/sqlite/migrations.js";
import { openSqliteStore } from "../../src/engine/store/sqlite/index.js";
import type { Store } from "../../src/engine/store/types.js";
import { storeContract, type ContractHandle } from "./store.contract.js";

async function openTemp(): Promise<ContractHandle & { file: string }> {
  const dir = await mkdtemp(join(tmpdir(), "switchboard-store-"));
  const file = join(dir, "nested", "store.db");
  const opened: Store[] = [];
  const open = async () => {
    const store = await openSqliteStore({ file });
    opened.push(store);
    return store;
  };
  return {
    file,
    store: await open(),
    reopen: open,
    async cleanup() {
      for (const s of opened) await s.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

storeContract("sqlite", openTemp);

// SQLite specifics the portable contract cannot see.
const withTemp = (fn: (h: Awaited<ReturnType<typeof openTemp>>) => Promise<void>) => async () => {
  const h = await openTemp();
  try {
    await fn(h);
  } finally {
    await h.cleanup();
  }
};
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
