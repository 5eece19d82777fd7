import type { Database } from "better-sqlite3";
import { ROOM_COLUMNS, toRoom, type RoomRow } from "../rows.js";
import type { RoomRecord, RoomStore } from "../types.js";

/** SQLite has no boolean type: flags are stored as 0/1. */
const fromRow = (row: RoomRow<number>): RoomRecord => toRoom(row, (flag) => flag !== 0);

function toRow(room: RoomRecord, rev: number): RoomRow<number> {
  return {
    id: room.id,
    topic: room.topic,
    closed: room.closed ? 1 : 0,
    locked: room.locked ? 1 : 0,
    capacity: room.capacity,
    creator: room.creator,
    admins: JSON.stringify(room.admins),
    bans: JSON.stringify(room.bans),
    meta: JSON.stringify(room.meta),
    created: room.created,
    rev,
  };
}

export function sqliteRooms(db: Database): RoomStore {
  const get = db.prepare<[string], RoomRow<number>>(`SELECT ${ROOM_COLUMNS} FROM rooms WHERE id = ?`);
  // Each CAS is one statement, atomic under SQLite's write lock, so it holds across
  // processes sharing the file: the loser changes no row.
  const create = db.prepare<RoomRow<number>>(
    `INSERT INTO rooms (${ROOM_COLUMNS})
     VALUES (@id, @topic, @closed, @locked, @capacity, @creator, @admins, @bans, @meta, @created, @rev)
     ON CONFLICT (id) DO NOTHING`,
  );
  const update = db.prepare<RoomRow<number> & { expect: number }>(
    `UPDATE rooms SET topic = @topic, closed = @closed, locked = @locked, capacity = @capacity, creator = @creator,
       admins = @admins, bans = @bans, meta = @meta, created = @created, rev = @rev
     WHERE id = @id AND rev = @expect`,
  );
  const remove = db.prepare("DELETE FROM rooms WHERE id = ?");
  // The primary key orders ids by byte (BINARY collation); `after` = '' starts from the first (or, descending, a high sentinel).
  const up = db.prepare<{ after: string; limit: number }, RoomRow<number>>(`SELECT ${ROOM_COLUMNS} FROM rooms WHERE id > @after ORDER BY id ASC LIMIT @limit`);
  const down = db.prepare<{ after: string | null; limit: number }, RoomRow<number>>(
    `SELECT ${ROOM_COLUMNS} FROM rooms WHERE @after IS NULL OR id < @after ORDER BY id DESC LIMIT @limit`,
  );

  return {
    async get(id: string): Promise<RoomRecord | null> {
      const row = get.get(id);
      return row ? fromRow(row) : null;
    },
    async write(room: RoomRecord, expectRev: number): Promise<RoomRecord | null> {
      const row = toRow(room, expectRev + 1);
      const changed = expectRev === 0 ? create.run(row).changes : update.run({ ...row, expect: expectRev }).changes;
      return changed === 1 ? fromRow(row) : null;
    },
    async list({ after, limit, ascending }): Promise<RoomRecord[]> {
      const n = Math.max(0, Math.trunc(limit));
      const rows = ascending ? up.all({ after: after ?? "", limit: n }) : down.all({ after: after ?? null, limit: n });
      return rows.map(fromRow);
    },
    async delete(id: string): Promise<void> {
      remove.run(id);
    },
  };
}
