import type { Database } from "better-sqlite3";
import type { JsonObject } from "../../../core/json.js";
import type { HistoryStore, NewEvent, ReadQuery, StoredEvent } from "../types.js";
import type { GroupCommit } from "./group-commit.js";

interface EventRow {
  seq: number;
  type: string;
  time: number;
  sender_id: string;
  sender_name: string;
  data: string;
}

const columns = "seq, type, time, sender_id, sender_name, data";

function toEvent(stream: string, row: EventRow): StoredEvent {
  const { seq, type, time } = row;
  return { stream, seq, type, time, sender: { id: row.sender_id, name: row.sender_name }, data: JSON.parse(row.data) as JsonObject };
}

/** SQLite takes LIMIT -1 as "no limit"; negative or fractional limits from callers mean at most 0 / floor. */
function sqlLimit(limit: number): number {
  return Number.isFinite(limit) ? Math.max(0, Math.trunc(limit)) : -1;
}

export function sqliteHistory(db: Database, commits: GroupCommit): HistoryStore {
  const bumpSeq = db.prepare<[string], { seq: number }>(
    "INSERT INTO streams (stream, seq) VALUES (?, 1) ON CONFLICT (stream) DO UPDATE SET seq = seq + 1 RETURNING seq",
  );
  const insert = db.prepare(
    "INSERT INTO events (stream, seq, type, time, sender_id, sender_name, data) VALUES (?, ?, ?, ?, ?, ?, ?)",
  );
  const last = db.prepare<[string], { seq: number }>("SELECT seq FROM streams WHERE stream = ?");
  const first = db.prepare<[string], { seq: number | null }>("SELECT min(seq) AS seq FROM events WHERE stream = ?");
  type Range = { stream: string; from: number; before: number; limit: number };
  const oldest = db.prepare<Range, EventRow>(
    `SELECT ${columns} FROM events WHERE stream = @stream AND seq >= @from AND seq < @before ORDER BY seq ASC LIMIT @limit`,
  );
  const newest = db.prepare<Range, EventRow>(
    `SELECT ${columns} FROM events WHERE stream = @stream AND seq >= @from AND seq < @before ORDER BY seq DESC LIMIT @limit`,
  );
  // Deletes the (keepLast+1)-th newest event and everything older; nothing when fewer are held.
  const trimCount = db.prepare<{ stream: string; keep: number }>(
    `DELETE FROM events WHERE stream = @stream AND seq <=
       (SELECT seq FROM events WHERE stream = @stream ORDER BY seq DESC LIMIT 1 OFFSET @keep)`,
  );
  const trimAge = db.prepare("DELETE FROM events WHERE stream = ? AND time < ?");
  const trim = db.transaction((stream: string, keepLast: number | undefined, olderThan: number | undefined) => {
    let removed = 0;
    if (olderThan !== undefined) removed += trimAge.run(stream, olderThan).changes;
    if (keepLast !== undefined) removed += trimCount.run({ stream, keep: Math.max(0, Math.trunc(keepLast)) }).changes;
    return removed;
  });
  const lastSeq = (stream: string) => last.get(stream)?.seq ?? 0;

  return {
    append(stream: string, event: NewEvent): Promise<StoredEvent> {
      const { type, time, sender, data } = event;
      // Serialised before queuing so one unserialisable event fails alone instead of sinking its batch.
      let json: string | undefined;
      try {
        json = JSON.stringify(data);
      } catch (error) {
        return Promise.reject(error);
      }
      if (typeof json !== "string") return Promise.reject(new TypeError("event data is not JSON"));
      const text = json;
      return commits.enqueue(() => {
        const seq = bumpSeq.get(stream)!.seq;
        insert.run(stream, seq, type, time, sender.id, sender.name, text);
        return { stream, seq, type, time, sender: { id: sender.id, name: sender.name }, data };
      });
    },
    async read(stream: string, q: ReadQuery): Promise<StoredEvent[]> {
      const range = { stream, from: q.from ?? 0, before: q.before ?? Number.MAX_SAFE_INTEGER, limit: sqlLimit(q.limit) };
      if (q.take === "oldest") return oldest.all(range).map((row) => toEvent(stream, row));
      return newest.all(range).reverse().map((row) => toEvent(stream, row));
    },
    async lastSeq(stream: string): Promise<number> {
      return lastSeq(stream);
    },
    async firstSeq(stream: string): Promise<number> {
      return first.get(stream)?.seq ?? lastSeq(stream) + 1;
    },
    bump(stream: string): Promise<number> {
      // Through the queue so it takes its place in line between appends.
      return commits.enqueue(() => bumpSeq.get(stream)!.seq);
    },
    async trim(stream: string, limits: { keepLast?: number; olderThan?: number }): Promise<number> {
      return trim.immediate(stream, limits.keepLast, limits.olderThan);
    },
  };
}
