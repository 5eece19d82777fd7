import type { Database } from "better-sqlite3";
import { EVENT_COLUMNS, toEvent, type EventRow } from "../rows.js";
import type { HistoryStore, NewEvent, ReadQuery, StoredEvent } from "../types.js";
import type { GroupCommit, Pooled } from "./group-commit.js";

/** SQLite takes LIMIT -1 as "no limit"; negative or fractional limits from callers mean at most 0 / floor. */
function sqlLimit(limit: number): number {
  return Number.isFinite(limit) ? Math.max(0, Math.trunc(limit)) : -1;
}

/** One append as queued: the event, its data already serialised. */
interface Append {
  stream: string;
  event: NewEvent;
  text: string;
}

/** Rows per multi-row INSERT (7 parameters each, far under SQLite's limit); longer runs take several. */
const ROWS_PER_INSERT = 64;

/**
 * A turn's appends, written together: per stream one counter bump by the
 * number of its events and multi-row INSERTs, instead of two statements per
 * event. Seqs follow the order the appends were queued in.
 */
function pooledAppends(db: Database): Pooled<Append, StoredEvent> {
  const bumpBy = db.prepare<[string, number], { seq: number }>(
    "INSERT INTO streams (stream, seq) VALUES (?, ?) ON CONFLICT (stream) DO UPDATE SET seq = seq + excluded.seq RETURNING seq",
  );
  const inserts = new Map<number, ReturnType<Database["prepare"]>>();
  const insertOf = (rows: number) => {
    let stmt = inserts.get(rows);
    if (!stmt) {
      const values = Array.from({ length: rows }, () => "(?, ?, ?, ?, ?, ?, ?)").join(", ");
      inserts.set(rows, (stmt = db.prepare(`INSERT INTO events (stream, seq, type, time, sender_id, sender_name, data) VALUES ${values}`)));
    }
    return stmt;
  };
  return {
    writeAll(items) {
      const byStream = new Map<string, number[]>();
      items.forEach((item, i) => {
        const list = byStream.get(item.stream);
        if (list) list.push(i);
        else byStream.set(item.stream, [i]);
      });
      const out = new Array<StoredEvent>(items.length);
      for (const [stream, indexes] of byStream) {
        let seq = bumpBy.get(stream, indexes.length)!.seq - indexes.length + 1;
        for (let from = 0; from < indexes.length; from += ROWS_PER_INSERT) {
          const chunk = indexes.slice(from, from + ROWS_PER_INSERT);
          const params: Array<string | number> = [];
          for (const i of chunk) {
            const { event, text } = items[i];
            params.push(stream, seq, event.type, event.time, event.sender.id, event.sender.name, text);
            out[i] = { stream, seq, type: event.type, time: event.time, sender: { id: event.sender.id, name: event.sender.name }, data: event.data };
            seq++;
          }
          insertOf(chunk.length).run(params);
        }
      }
      return out;
    },
  };
}

export function sqliteHistory(db: Database, commits: GroupCommit): HistoryStore {
  const appends = pooledAppends(db);
  const bumpSeq = db.prepare<[string], { seq: number }>(
    "INSERT INTO streams (stream, seq) VALUES (?, 1) ON CONFLICT (stream) DO UPDATE SET seq = seq + 1 RETURNING seq",
  );
  const last = db.prepare<[string], { seq: number }>("SELECT seq FROM streams WHERE stream = ?");
  const first = db.prepare<[string], { seq: number | null }>("SELECT min(seq) AS seq FROM events WHERE stream = ?");
  type Range = { stream: string; from: number; before: number; limit: number };
  const oldest = db.prepare<Range, EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM events WHERE stream = @stream AND seq >= @from AND seq < @before ORDER BY seq ASC LIMIT @limit`,
  );
  const newest = db.prepare<Range, EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM events WHERE stream = @stream AND seq >= @from AND seq < @before ORDER BY seq DESC LIMIT @limit`,
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
      // Serialised before queuing so one unserialisable event fails alone instead of sinking its batch.
      let text: string | undefined;
      try {
        text = JSON.stringify(event.data);
      } catch (error) {
        return Promise.reject(error);
      }
      if (typeof text !== "string") return Promise.reject(new TypeError("event data is not JSON"));
      return commits.enqueuePooled(appends, { stream, event, text });
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
