import type { JsonObject } from "../../../core/json.js";
import type { RoomRecord, RoomStore } from "../types.js";
import type { Connection } from "./connection.js";

interface RoomRow {
  id: string;
  topic: string;
  closed: boolean;
  locked: boolean;
  capacity: number | null;
  creator: string | null;
  admins: string;
  bans: string;
  meta: string;
  created: number;
  rev: number;
}

const COLUMNS = "id, topic, closed, locked, capacity, creator, admins, bans, meta, created, rev";

function toRoom(row: RoomRow): RoomRecord {
  return {
    ...row,
    admins: JSON.parse(row.admins) as string[],
    bans: JSON.parse(row.bans) as string[],
    meta: JSON.parse(row.meta) as JsonObject,
  };
}

/** Parameters $1..$10 in COLUMNS order (rev aside). */
function values(room: RoomRecord): unknown[] {
  return [
    room.id, room.topic, room.closed, room.locked, room.capacity, room.creator,
    JSON.stringify(room.admins), JSON.stringify(room.bans), JSON.stringify(room.meta), room.created,
  ];
}

export function postgresRooms(db: Connection): RoomStore {
  return {
    async get(id: string): Promise<RoomRecord | null> {
      const { rows } = await db.query<RoomRow>(`SELECT ${COLUMNS} FROM rooms WHERE id = $1`, [id]);
      return rows[0] ? toRoom(rows[0]) : null;
    },
    async write(room: RoomRecord, expectRev: number): Promise<RoomRecord | null> {
      // One statement each: the row lock makes a concurrent writer re-check `rev`
      // against the committed row, so of two writers expecting one rev exactly one wins.
      const { rows } =
        expectRev === 0
          ? await db.query<RoomRow>(
              `INSERT INTO rooms (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1)
               ON CONFLICT (id) DO NOTHING RETURNING ${COLUMNS}`,
              values(room),
            )
          : await db.query<RoomRow>(
              `UPDATE rooms SET topic = $2, closed = $3, locked = $4, capacity = $5, creator = $6, admins = $7, bans = $8,
                 meta = $9, created = $10, rev = rev + 1
               WHERE id = $1 AND rev = $11 RETURNING ${COLUMNS}`,
              [...values(room), expectRev],
            );
      return rows[0] ? toRoom(rows[0]) : null;
    },
    async list({ after, limit, ascending }): Promise<RoomRecord[]> {
      const n = Math.max(0, Math.trunc(limit));
      // ids are COLLATE "C": the primary key is in byte order, as the port asks.
      const { rows } = ascending
        ? await db.query<RoomRow>(`SELECT ${COLUMNS} FROM rooms WHERE id > $1 ORDER BY id ASC LIMIT $2`, [after ?? "", n])
        : after === undefined
          ? await db.query<RoomRow>(`SELECT ${COLUMNS} FROM rooms ORDER BY id DESC LIMIT $1`, [n])
          : await db.query<RoomRow>(`SELECT ${COLUMNS} FROM rooms WHERE id < $1 ORDER BY id DESC LIMIT $2`, [after, n]);
      return rows.map(toRoom);
    },
    async delete(id: string): Promise<void> {
      await db.query("DELETE FROM rooms WHERE id = $1", [id]);
    },
  };
}
