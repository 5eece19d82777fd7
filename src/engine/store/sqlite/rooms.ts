import type { Database } from "better-sqlite3";
import type { JsonObject } from "../../../core/json.js";
import type { RoomRecord, RoomStore } from "../types.js";

interface RoomRow {
  id: string;
  topic: string;
  closed: number;
  locked: number;
  capacity: number | null;
  creator: string | null;
  admins: string;
  bans: string;
  meta: string;
  created: number;
  rev: number;
}

function toRoom(row: RoomRow): RoomRecord {
  return {
    ...row,
    closed: row.closed !== 0,
    locked: row.locked !== 0,
    admins: JSON.parse(row.admins) as string[],
    bans: JSON.parse(row.bans) as string[],
    meta: JSON.parse(row.meta) as JsonObject,
  };
}

function toRow(room: RoomRecord, rev: number): RoomRow {
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
  const cols = "id, topic, closed, locked, capacity, creator, admins, bans, meta, created, rev";
  const get = db.prepare<[string], RoomRow>(`SELECT ${cols} FROM rooms WHERE id = ?`);
  // Each CAS is one statement, atomic under SQLite's write lock, so it holds across
  // processes sharing the file: the loser changes no row.
  const create = db.prepare<RoomRow>(
    `INSERT INTO rooms (${cols})
     VALUES (@id, @topic, @closed, @locked, @capacity, @creator, @admins, @bans, @meta, @created, @rev)
     ON CONFLICT (id) DO NOTHING`,
  );
  const update = db.prepare<RoomRow & { expect: number }>(
    `UPDATE rooms SET topic = @topic, closed = @closed, locked = @locked, capacity = @capacity, creator = @creator,
       admins = @admins, bans = @bans, meta = @meta, created = @created, rev = @rev
     WHERE id = @id AND rev = @expect`,
  );
  const remove = db.prepare("DELETE FROM rooms WHERE id = ?");
  // The primary key orders ids by byte (BINARY collation); `after` = '' starts from the first (or, descending, a high sentinel).
  const up = db.prepare<{ after: string; limit: number }, RoomRow>(`SELECT ${cols} FROM rooms WHERE id > @after ORDER BY id ASC LIMIT @limit`);
  const down = db.prepare<{ after: string | null; limit: number }, RoomRow>(
    `SELECT ${cols} FROM rooms WHERE @after IS NULL OR id < @after ORDER BY id DESC LIMIT @limit`,
  );

  return {
    async get(id: string): Promise<RoomRecord | null> {
      const row = get.get(id);
      return row ? toRoom(row) : null;
    },
    async write(room: RoomRecord, expectRev: number): Promise<RoomRecord | null> {
      const row = toRow(room, expectRev + 1);
      const changed = expectRev === 0 ? create.run(row).changes : update.run({ ...row, expect: expectRev }).changes;
      return changed === 1 ? toRoom(row) : null;
    },
    async list({ after, limit, ascending }): Promise<RoomRecord[]> {
      const n = Math.max(0, Math.trunc(limit));
      const rows = ascending ? up.all({ after: after ?? "", limit: n }) : down.all({ after: after ?? null, limit: n });
      return rows.map(toRoom);
    },
    async delete(id: string): Promise<void> {
      remove.run(id);
    },
  };
}
