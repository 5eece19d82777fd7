import type { RoomRecord, Store } from "../../engine/store/types.js";
import { changeRoom } from "../room-records.js";
import { newRoom } from "../rooms.js";
import type { UserRef } from "../types.js";

/** The open game rooms, by room id: what `list` reads without loading every room record. */
const INDEX_NS = "lobby.rooms";

export interface GameRoom {
  id: string;
  /** The creator's name, which is also the room's name. */
  name: string;
  creator: string;
  type: string;
  size: number;
  locked: boolean;
  bans: string[];
  created: number;
}

/**
 * Game rooms as store records. A dropped room keeps its record (closed) so its
 * bans hold "for good": the same creator's next room is the same record again.
 */
export class GameRooms {
  constructor(
    private readonly store: Store,
    private readonly now: () => number,
  ) {}

  /** The room while it is open; null when it was never made or has been dropped. */
  async get(id: string): Promise<GameRoom | null> {
    const record = await this.store.rooms.get(id);
    return record && record.meta.game === true ? toGameRoom(record) : null;
  }

  async open(id: string, creator: UserRef, type: string, size: number): Promise<GameRoom> {
    const now = this.now();
    const record = await changeRoom(this.store.rooms, id, (earlier): RoomRecord => ({
      ...newRoom(id, now, creator.id),
      capacity: size,
      bans: earlier?.bans ?? [],
      meta: { game: true, name: creator.name, type },
    }));
    await this.index(record!);
    return toGameRoom(record!);
  }

  async drop(id: string): Promise<void> {
    await this.store.kv.delete(INDEX_NS, id);
    await changeRoom(this.store.rooms, id, (record) => record && { ...record, locked: false, meta: { ...record.meta, game: false } });
  }

  async lock(id: string): Promise<void> {
    const locked = await changeRoom(this.store.rooms, id, (record) => record && { ...record, locked: true });
    if (locked) await this.index(locked);
  }

  async ban(id: string, userId: string): Promise<void> {
    await changeRoom(this.store.rooms, id, (record) => (record && !record.bans.includes(userId) ? { ...record, bans: [...record.bans, userId] } : null));
  }

  /** Every room the index calls open, oldest first. */
  async listed(): Promise<GameRoom[]> {
    const entries = await this.store.kv.list(INDEX_NS, "");
    const rooms = entries.map(({ key, value }) => ({
      id: key,
      name: String(value.name),
      creator: String(value.creator),
      type: String(value.type),
      size: Number(value.size),
      locked: value.locked === true,
      bans: [],
      created: Number(value.created),
    }));
    return rooms.sort((a, b) => a.created - b.created);
  }

  private index(record: RoomRecord): Promise<void> {
    const room = toGameRoom(record);
    const value = { name: room.name, creator: room.creator, type: room.type, size: room.size, locked: room.locked, created: room.created };
    return this.store.kv.put(INDEX_NS, record.id, value, null);
  }
}

function toGameRoom(record: RoomRecord): GameRoom {
  return {
    id: record.id,
    name: String(record.meta.name),
    creator: record.creator ?? "",
    type: String(record.meta.type),
    size: record.capacity ?? 0,
    locked: record.locked,
    bans: record.bans,
    created: record.created,
  };
}
