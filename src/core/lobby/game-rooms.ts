import type { RoomRecord, Store } from "../../engine/store/types.js";
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
    const earlier = await this.store.rooms.get(id);
    const now = this.now();
    const record: RoomRecord = {
      ...newRoom(id, now, creator.id),
      capacity: size,
      bans: earlier?.bans ?? [],
      meta: { game: true, name: creator.name, type },
    };
    await this.store.rooms.put(record);
    await this.index(record);
    return toGameRoom(record);
  }

  async drop(id: string): Promise<void> {
    await this.store.kv.delete(INDEX_NS, id);
    const record = await this.store.rooms.get(id);
    if (record) await this.store.rooms.put({ ...record, locked: false, meta: { ...record.meta, game: false } });
  }

  async lock(id: string): Promise<void> {
    const record = await this.store.rooms.get(id);
    if (!record) return;
    const locked = { ...record, locked: true };
    await this.store.rooms.put(locked);
    await this.index(locked);
  }

  async ban(id: string, userId: string): Promise<void> {
    const record = await this.store.rooms.get(id);
    if (record && !record.bans.includes(userId)) await this.store.rooms.put({ ...record, bans: [...record.bans, userId] });
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
