import { ROOM_COLUMNS, toRoom, type RoomRow } from "../rows.js";
import type { RoomRecord, RoomStore } from "../types.js";
import type { Connection } from "./connection.js";

/** The driver already reads boolean columns as booleans. */
const fromRow = (row: RoomRow<boolean>): RoomRecord => toRoom(row, (flag) => flag);

/** Parameters $1..$10 in ROOM_COLUMNS order (rev aside). */
function values(room: RoomRecord): unknown[] {
  return [
    room.id, room.topic, room.closed, room.locked, room.capacity, room.creator,
    JSON.stringify(room.admins), JSON.stringify(room.bans), JSON.stringify(room.meta), room.created,
  ];
}

export function postgresRooms(db: Connection): RoomStore {
  return {
    async get(id: string): Promise<RoomRecord | null> {
      const { rows } = await db.query<RoomRow<boolean>>(`SELECT ${ROOM_COLUMNS} FROM rooms WHERE id = $1`, [id]);
      return rows[0] ? fromRow(rows[0]) : null;
    },
    async write(room: RoomRecord, expectRev: number): Promise<RoomRecord | null> {
      // One statement each: the row lock makes a concurrent writer re-check `rev`
      // against the committed row, so of two writers expecting one rev exactly one wins.
      const { rows } =
        expectRev === 0
          ? await db.query<RoomRow<boolean>>(
              `INSERT INTO rooms (${ROOM_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1)
               ON CONFLICT (id) DO NOTHING RETURNING ${ROOM_COLUMNS}`,
              values(room),
            )
          : await db.query<RoomRow<boolean>>(
              `UPDATE rooms SET topic = $2, closed = $3, locked = $4, capacity = $5, creator = $6, admins = $7, bans = $8,
                 meta = $9, created = $10, rev = rev + 1
               WHERE id = $1 AND rev = $11 RETURNING ${ROOM_COLUMNS}`,
              [...values(room), expectRev],
            );
      return rows[0] ? fromRow(rows[0]) : null;
    },
    async list({ after, limit, ascending }): Promise<RoomRecord[]> {
      const n = Math.max(0, Math.trunc(limit));
      // ids are COLLATE "C": the primary key is in byte order, as the port asks.
      const { rows } = ascending
        ? await db.query<RoomRow<boolean>>(`SELECT ${ROOM_COLUMNS} FROM rooms WHERE id > $1 ORDER BY id ASC LIMIT $2`, [after ?? "", n])
        : after === undefined
          ? await db.query<RoomRow<boolean>>(`SELECT ${ROOM_COLUMNS} FROM rooms ORDER BY id DESC LIMIT $1`, [n])
          : await db.query<RoomRow<boolean>>(`SELECT ${ROOM_COLUMNS} FROM rooms WHERE id < $1 ORDER BY id DESC LIMIT $2`, [after, n]);
      return rows.map(fromRow);
    },
    async delete(id: string): Promise<void> {
      await db.query("DELETE FROM rooms WHERE id = $1", [id]);
    },
  };
}
