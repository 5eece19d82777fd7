import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import type { EngineObserver } from "../../observer.js";
import { KV_SWEEP_MS } from "../kv-text.js";
import type { Store } from "../types.js";
import { sqliteAccounts } from "./accounts.js";
import { sqliteDocuments } from "./documents.js";
import { GroupCommit } from "./group-commit.js";
import { sqliteHistory } from "./history.js";
import { sqliteKv } from "./kv.js";
import { migrate } from "./migrations.js";
import { sqliteRooms } from "./rooms.js";

export interface SqliteStoreOptions {
  file: string;
  /**
   * NORMAL (default) in WAL mode survives a process crash or kill -9: a commit is in the
   * WAL before it returns; only an OS crash or power loss can drop the newest commits.
   * FULL also fsyncs the WAL on every commit.
   */
  synchronous?: "NORMAL" | "FULL";
  /** How often expired kv entries are removed (default 30 s); tests shorten it. */
  sweepMs?: number;
  /** Told how long each group commit took and how many writes it carried. */
  observer?: EngineObserver;
}

const BUSY_TIMEOUT_MS = 5000;

export async function openSqliteStore(opts: SqliteStoreOptions): Promise<Store> {
  const memory = opts.file === ":memory:";
  if (!memory) mkdirSync(dirname(opts.file), { recursive: true });
  const db = new Database(opts.file, { timeout: BUSY_TIMEOUT_MS });
  try {
    const mode = db.pragma("journal_mode = WAL", { simple: true });
    if (!memory && mode !== "wal") throw new Error(`cannot enable WAL on ${opts.file} (got ${String(mode)})`);
    db.pragma(`synchronous = ${opts.synchronous === "FULL" ? "FULL" : "NORMAL"}`);
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.pragma("foreign_keys = ON");
    migrate(db);
  } catch (error) {
    db.close();
    throw error;
  }

  const commits = new GroupCommit(db, opts.observer);
  const kv = sqliteKv(db);
  let closed = false;
  let closing: Promise<void> | null = null;
  let sweeping = false;
  const sweeper = setInterval(() => {
    if (sweeping || closed) return;
    sweeping = true;
    kv.sweep()
      .catch(() => undefined) // a busy file now is swept next time
      .finally(() => (sweeping = false));
  }, opts.sweepMs ?? KV_SWEEP_MS);
  // Unref'd: a store left open must not keep the process alive just to sweep.
  sweeper.unref();
  return {
    kind: "sqlite",
    history: sqliteHistory(db, commits),
    rooms: sqliteRooms(db),
    accounts: sqliteAccounts(db),
    kv: kv.kv,
    documents: sqliteDocuments(db, commits),
    // A local file is there as long as it is open; a full disk shows as failed writes.
    healthy: () => !closed,
    flush: () => commits.flush(),
    close() {
      closing ??= commits.close().then(() => {
        closed = true;
        clearInterval(sweeper);
        db.close();
      });
      return closing;
    },
  };
}
