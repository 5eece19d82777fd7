import { EVENT_COLUMNS, toEvent, type EventRow } from "../rows.js";
import type { HistoryStore, NewEvent, ReadQuery, StoredEvent } from "../types.js";
import type { Connection } from "./connection.js";
import { checkBatchable } from "./values.js";
import type { PgGroupCommit } from "./group-commit.js";

/** Negative or fractional limits mean at most 0 / floor; an infinite one means no limit (NULL). */
function sqlLimit(limit: number): number | null {
  return Number.isFinite(limit) ? Math.max(0, Math.trunc(limit)) : null;
}

export function postgresHistory(db: Connection, commits: PgGroupCommit): HistoryStore {
  const lastSeq = async (stream: string) =>
    (await db.query<{ seq: number }>("SELECT seq FROM streams WHERE stream = $1", [stream])).rows[0]?.seq ?? 0;

  return {
    append(stream: string, event: NewEvent): Promise<StoredEvent> {
      const { type, time, sender, data } = event;
      // Checked before queuing so one bad event fails alone instead of sinking its batch.
      let text: string | undefined;
      try {
        text = JSON.stringify(data);
        if (typeof text !== "string") throw new TypeError("event data is not JSON");
        checkBatchable([stream, type, sender.id, sender.name], [time]);
      } catch (error) {
        return Promise.reject(error);
      }
      const write = { kind: "append", stream, type, time, senderId: sender.id, senderName: sender.name, data: text } as const;
      return commits.enqueue(write).then((seq) => ({ stream, seq, type, time, sender: { id: sender.id, name: sender.name }, data }));
    },
    async read(stream: string, q: ReadQuery): Promise<StoredEvent[]> {
      const params = [stream, q.from ?? 0, q.before ?? Number.MAX_SAFE_INTEGER, sqlLimit(q.limit)];
      const order = q.take === "oldest" ? "ASC" : "DESC";
      const { rows } = await db.query<EventRow>(
        `SELECT ${EVENT_COLUMNS} FROM events WHERE stream = $1 AND seq >= $2 AND seq < $3 ORDER BY seq ${order} LIMIT $4`,
        params,
      );
      if (q.take === "newest") rows.reverse();
      return rows.map((row) => toEvent(stream, row));
    },
    lastSeq,
    async firstSeq(stream: string): Promise<number> {
      // One statement, so both numbers come from one snapshot.
      const { rows } = await db.query<{ first: number | null; last: number | null }>(
        "SELECT (SELECT min(seq) FROM events WHERE stream = $1) AS first, (SELECT seq FROM streams WHERE stream = $1) AS last",
        [stream],
      );
      return rows[0].first ?? (rows[0].last ?? 0) + 1;
    },
    bump(stream: string): Promise<number> {
      try {
        checkBatchable([stream], []);
      } catch (error) {
        return Promise.reject(error);
      }
      // Through the queue so it takes its place in line between appends.
      return commits.enqueue({ kind: "bump", stream, type: "", time: 0, senderId: "", senderName: "", data: "" });
    },
    async trim(stream: string, limits: { keepLast?: number; olderThan?: number }): Promise<number> {
      const keep = limits.keepLast === undefined ? null : Math.max(0, Math.trunc(limits.keepLast));
      const olderThan = limits.olderThan ?? null;
      if (keep === null && olderThan === null) return 0;
      // As two steps would: drop by age, then keep the newest `keep` of what the age rule left.
      const { rowCount } = await db.query(
        `DELETE FROM events WHERE stream = $1 AND (
           ($2::float8 IS NOT NULL AND time < $2::float8)
           OR ($3::int8 IS NOT NULL AND seq <= (
             SELECT seq FROM events WHERE stream = $1 AND ($2::float8 IS NULL OR time >= $2::float8)
             ORDER BY seq DESC OFFSET $3::int8 LIMIT 1)))`,
        [stream, olderThan, keep],
      );
      return rowCount ?? 0;
    },
  };
}
