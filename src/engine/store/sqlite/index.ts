import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
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

  const commits = new GroupCommit(db);
  let closing: Promise<void> | null = null;
  return {
    kind: "sqlite",
    history: sqliteHistory(db, commits),
    rooms: sqliteRooms(db),
    accounts: sqliteAccounts(db),
    kv: sqliteKv(db),
    documents: sqliteDocuments(db, commits),
    flush: () => commits.flush(),
    close() {
      closing ??= commits.close().then(() => {
        db.close();
      });
      return closing;
    },
  };
}
