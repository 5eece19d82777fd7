import type { JsonObject } from "../../core/json.js";
import type { AccountRecord, DocumentRecord, RoomRecord, StoredEvent } from "./types.js";

// Rows as both stores read them back, and how they become the port's records.
// JSON is stored as text everywhere. Flags are not alike: SQLite hands back 0/1,
// PostgreSQL booleans, so those rows take the flag's type and each store passes
// its own reading of it. Each column list names its row's fields, so they are
// kept side by side; the statements that use them stay in each store.

export interface EventRow {
  seq: number;
  type: string;
  time: number;
  sender_id: string;
  sender_name: string;
  data: string;
}

export const EVENT_COLUMNS = "seq, type, time, sender_id, sender_name, data";

export function toEvent(stream: string, row: EventRow): StoredEvent {
  const { seq, type, time } = row;
  return { stream, seq, type, time, sender: { id: row.sender_id, name: row.sender_name }, data: JSON.parse(row.data) as JsonObject };
}

export interface AccountRow {
  id: string;
  name: string;
  mail: string | null;
  password_hash: string | null;
  color: string;
  created: number;
  meta: string;
}

export const ACCOUNT_COLUMNS = "id, name, mail, password_hash, color, created, meta";

export function toAccount(row: AccountRow): AccountRecord {
  const { id, name, mail, color, created } = row;
  return { id, name, mail, passwordHash: row.password_hash, color, created, meta: JSON.parse(row.meta) as JsonObject };
}

export interface RoomRow<Flag> {
  id: string;
  topic: string;
  closed: Flag;
  locked: Flag;
  capacity: number | null;
  creator: string | null;
  admins: string;
  bans: string;
  meta: string;
  created: number;
  rev: number;
}

/** PostgreSQL binds its write parameters in this order. */
export const ROOM_COLUMNS = "id, topic, closed, locked, capacity, creator, admins, bans, meta, created, rev";

export function toRoom<Flag>(row: RoomRow<Flag>, flag: (stored: Flag) => boolean): RoomRecord {
  return {
    ...row,
    closed: flag(row.closed),
    locked: flag(row.locked),
    admins: JSON.parse(row.admins) as string[],
    bans: JSON.parse(row.bans) as string[],
    meta: JSON.parse(row.meta) as JsonObject,
  };
}

export interface DocumentRow<Flag> {
  collection: string;
  id: string;
  rev: number;
  owner: string;
  body: string;
  created: number;
  updated: number;
  deleted: Flag;
}

export const DOCUMENT_COLUMNS = "collection, id, rev, owner, body, created, updated, deleted";

export function toDocument<Flag>(row: DocumentRow<Flag>, flag: (stored: Flag) => boolean): DocumentRecord {
  return { ...row, body: JSON.parse(row.body) as JsonObject, deleted: flag(row.deleted) };
}
