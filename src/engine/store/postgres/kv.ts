import type { JsonObject } from "../../../core/json.js";
import { kvText } from "../kv-text.js";
import type { KvStore } from "../types.js";
import type { Connection } from "./connection.js";

/** Expired rows removed per sweep statement: short row locks, even after a burst. */
const SWEEP_BATCH = 1000;

const LIVE = "(expires_at IS NULL OR expires_at > $3)";

/** expires_at is whole ms (bigint); a fractional expiry from a computed TTL rounds up, never earlier. */
const expiry = (expiresAt: number | null) => (expiresAt === null ? null : Math.ceil(expiresAt));

export interface PostgresKv {
  kv: KvStore;
  /** Removes every expired entry now; resolves to how many. */
  sweep(): Promise<number>;
}

/**
 * Every conditional write is one statement: PostgreSQL re-checks its WHERE
 * against the committed row after waiting for a concurrent writer's lock, so
 * of two callers expecting the same value exactly one changes it.
 * "Now" is this node's clock, as for every expiry it hands out.
 */
export function postgresKv(db: Connection): PostgresKv {
  // Inserts, or takes over an expired row: an expired entry counts as absent.
  const putIfAbsent = async (ns: string, key: string, value: JsonObject, expiresAt: number | null) =>
    (
      await db.query(
        `INSERT INTO kv AS k (ns, key, value, expires_at) VALUES ($1, $2, $4, $5)
         ON CONFLICT (ns, key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at
           WHERE k.expires_at IS NOT NULL AND k.expires_at <= $3`,
        [ns, key, Date.now(), kvText(value), expiry(expiresAt)],
      )
    ).rowCount === 1;

  const kv: KvStore = {
    async put(ns: string, key: string, value: JsonObject, expiresAt: number | null): Promise<void> {
      await db.query(
        `INSERT INTO kv (ns, key, value, expires_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (ns, key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`,
        [ns, key, kvText(value), expiry(expiresAt)],
      );
    },
    async get(ns: string, key: string): Promise<JsonObject | null> {
      const { rows } = await db.query<{ value: string }>(`SELECT value FROM kv WHERE ns = $1 AND key = $2 AND ${LIVE}`, [ns, key, Date.now()]);
      return rows[0] ? (JSON.parse(rows[0].value) as JsonObject) : null;
    },
    async delete(ns: string, key: string): Promise<boolean> {
      // The row goes either way; only a live one counts as deleted.
      const { rows } = await db.query<{ live: boolean }>(
        `DELETE FROM kv WHERE ns = $1 AND key = $2 RETURNING ${LIVE} AS live`,
        [ns, key, Date.now()],
      );
      return rows[0]?.live === true;
    },
    async list(ns: string, prefix: string): Promise<Array<{ key: string; value: JsonObject }>> {
      // starts_with rather than LIKE: keys may contain % and _, and this needs no escaping.
      // `key >= prefix` lets the primary key start the scan at the first candidate.
      const { rows } = await db.query<{ key: string; value: string }>(
        `SELECT key, value FROM kv WHERE ns = $1 AND key >= $2 AND starts_with(key, $2) AND ${LIVE} ORDER BY key`,
        [ns, prefix, Date.now()],
      );
      return rows.map((row) => ({ key: row.key, value: JSON.parse(row.value) as JsonObject }));
    },
    putIfAbsent,
    async compareAndSet(ns, key, expect, value, expiresAt): Promise<boolean> {
      if (expect === null) {
        // Nothing to delete while absent: the expectation held, so that counts as done.
        if (value === null) return (await kv.get(ns, key)) === null;
        return putIfAbsent(ns, key, value, expiresAt);
      }
      const now = Date.now();
      const { rowCount } =
        value === null
          ? await db.query(`DELETE FROM kv WHERE ns = $1 AND key = $2 AND ${LIVE} AND value = $4`, [ns, key, now, kvText(expect)])
          : await db.query(
              `UPDATE kv SET value = $5, expires_at = $6 WHERE ns = $1 AND key = $2 AND ${LIVE} AND value = $4`,
              [ns, key, now, kvText(expect), kvText(value), expiry(expiresAt)],
            );
      return rowCount === 1;
    },
  };

  return {
    kv,
    async sweep(): Promise<number> {
      const now = Date.now();
      let removed = 0;
      for (;;) {
        // SKIP LOCKED: nodes sweeping at the same moment share the work instead of queuing on each other.
        const { rowCount } = await db.query(
          `DELETE FROM kv WHERE (ns, key) IN (
             SELECT ns, key FROM kv WHERE expires_at <= $1 LIMIT ${SWEEP_BATCH} FOR UPDATE SKIP LOCKED)`,
          [now],
        );
        removed += rowCount ?? 0;
        if ((rowCount ?? 0) < SWEEP_BATCH) return removed;
      }
    },
  };
}
