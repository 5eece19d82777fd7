import type { Database } from "better-sqlite3";
import type { JsonObject } from "../../../core/json.js";
import { kvText } from "../kv-text.js";
import type { KvStore } from "../types.js";

/** Expired rows removed per sweep statement: the write lock is never held for long, even after a burst. */
const SWEEP_BATCH = 1000;

export interface SqliteKv {
  kv: KvStore;
  /** Removes every expired entry now; resolves to how many. */
  sweep(): Promise<number>;
}

export function sqliteKv(db: Database): SqliteKv {
  const put = db.prepare(
    `INSERT INTO kv (ns, key, value, expires_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (ns, key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`,
  );
  // Every conditional write is one statement, so it is atomic under SQLite's write
  // lock, also against another process on the same file.
  type Write = { ns: string; key: string; value: string; expiresAt: number | null; now: number };
  // Inserts, or takes over an expired row: an expired entry counts as absent.
  const putIfAbsent = db.prepare<Write>(
    `INSERT INTO kv (ns, key, value, expires_at) VALUES (@ns, @key, @value, @expiresAt)
     ON CONFLICT (ns, key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at
       WHERE kv.expires_at IS NOT NULL AND kv.expires_at <= @now`,
  );
  const swap = db.prepare<Write & { expect: string }>(
    `UPDATE kv SET value = @value, expires_at = @expiresAt
     WHERE ns = @ns AND key = @key AND value = @expect AND (expires_at IS NULL OR expires_at > @now)`,
  );
  const removeIf = db.prepare<{ ns: string; key: string; expect: string; now: number }>(
    "DELETE FROM kv WHERE ns = @ns AND key = @key AND value = @expect AND (expires_at IS NULL OR expires_at > @now)",
  );
  const get = db.prepare<[string, string], { value: string; expires_at: number | null }>(
    "SELECT value, expires_at FROM kv WHERE ns = ? AND key = ?",
  );
  const remove = db.prepare<[string, string], { expires_at: number | null }>(
    "DELETE FROM kv WHERE ns = ? AND key = ? RETURNING expires_at",
  );
  // substr/length rather than LIKE: keys may contain % and _, and this needs no escaping.
  // `key >= prefix` lets the primary key start the scan at the first candidate.
  const list = db.prepare<{ ns: string; prefix: string; now: number }, { key: string; value: string }>(
    `SELECT key, value FROM kv WHERE ns = @ns AND key >= @prefix AND substr(key, 1, length(@prefix)) = @prefix
       AND (expires_at IS NULL OR expires_at > @now) ORDER BY key`,
  );
  // kv_expiry (a partial index on expires_at) finds the expired rows without a scan.
  const sweepSome = db.prepare(
    `DELETE FROM kv WHERE rowid IN (SELECT rowid FROM kv WHERE expires_at <= ? LIMIT ${SWEEP_BATCH})`,
  );
  const live = (expiresAt: number | null, now: number) => expiresAt === null || expiresAt > now;

  const kv: KvStore = {
    async put(ns: string, key: string, value: JsonObject, expiresAt: number | null): Promise<void> {
      put.run(ns, key, kvText(value), expiresAt);
    },
    async get(ns: string, key: string): Promise<JsonObject | null> {
      const row = get.get(ns, key);
      if (!row || !live(row.expires_at, Date.now())) return null;
      return JSON.parse(row.value) as JsonObject;
    },
    async delete(ns: string, key: string): Promise<boolean> {
      const row = remove.get(ns, key);
      // An expired entry no longer exists as far as callers can tell.
      return row !== undefined && live(row.expires_at, Date.now());
    },
    async list(ns: string, prefix: string): Promise<Array<{ key: string; value: JsonObject }>> {
      return list.all({ ns, prefix, now: Date.now() }).map((row) => ({ key: row.key, value: JSON.parse(row.value) as JsonObject }));
    },
    async putIfAbsent(ns: string, key: string, value: JsonObject, expiresAt: number | null): Promise<boolean> {
      return putIfAbsent.run({ ns, key, value: kvText(value), expiresAt, now: Date.now() }).changes === 1;
    },
    async compareAndSet(ns, key, expect, value, expiresAt): Promise<boolean> {
      const now = Date.now();
      if (expect === null) {
        // Nothing to delete while absent: the expectation held, so that counts as done.
        if (value === null) {
          const row = get.get(ns, key);
          return !row || !live(row.expires_at, now);
        }
        return putIfAbsent.run({ ns, key, value: kvText(value), expiresAt, now }).changes === 1;
      }
      const expected = kvText(expect);
      if (value === null) return removeIf.run({ ns, key, expect: expected, now }).changes === 1;
      return swap.run({ ns, key, value: kvText(value), expiresAt, expect: expected, now }).changes === 1;
    },
  };

  return {
    kv,
    async sweep(): Promise<number> {
      const now = Date.now();
      let removed = 0;
      for (;;) {
        const n = sweepSome.run(now).changes;
        removed += n;
        if (n < SWEEP_BATCH) return removed;
        // Let queued work (group commits, reads) run between batches.
        await new Promise((resolve) => setImmediate(resolve));
      }
    },
  };
}
