import type { Database } from "better-sqlite3";
import type { JsonObject } from "../../../core/json.js";
import type { KvStore } from "../types.js";

/** Expired rows removed per put, so entries nobody reads again (revoked token ids) still go away. */
const PURGE_BATCH = 16;

export function sqliteKv(db: Database): KvStore {
  const put = db.prepare(
    `INSERT INTO kv (ns, key, value, expires_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (ns, key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`,
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
  const purgeNs = db.prepare("DELETE FROM kv WHERE ns = ? AND expires_at <= ?");
  const purgeSome = db.prepare(
    `DELETE FROM kv WHERE rowid IN (SELECT rowid FROM kv WHERE expires_at <= ? LIMIT ${PURGE_BATCH})`,
  );
  const live = (expiresAt: number | null, now: number) => expiresAt === null || expiresAt > now;

  return {
    async put(ns: string, key: string, value: JsonObject, expiresAt: number | null): Promise<void> {
      const now = Date.now();
      put.run(ns, key, JSON.stringify(value), expiresAt);
      purgeSome.run(now);
    },
    async get(ns: string, key: string): Promise<JsonObject | null> {
      const row = get.get(ns, key);
      if (!row) return null;
      if (live(row.expires_at, Date.now())) return JSON.parse(row.value) as JsonObject;
      remove.get(ns, key);
      return null;
    },
    async delete(ns: string, key: string): Promise<boolean> {
      const row = remove.get(ns, key);
      // An expired entry no longer exists as far as callers can tell.
      return row !== undefined && live(row.expires_at, Date.now());
    },
    async list(ns: string, prefix: string): Promise<Array<{ key: string; value: JsonObject }>> {
      const now = Date.now();
      purgeNs.run(ns, now);
      return list.all({ ns, prefix, now }).map((row) => ({ key: row.key, value: JSON.parse(row.value) as JsonObject }));
    },
  };
}
