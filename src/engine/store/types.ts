import type { JsonObject } from "../../core/json.js";
import type { UserRef } from "../../core/types.js";

export interface NewEvent {
  type: string;
  time: number;
  sender: UserRef;
  data: JsonObject;
}

export interface StoredEvent extends NewEvent {
  stream: string;
  seq: number;
}

export interface ReadQuery {
  /** Inclusive lower bound on seq. */
  from?: number;
  /** Exclusive upper bound on seq. */
  before?: number;
  limit: number;
  /** Which end of the range to take `limit` events from; results are always oldest first. */
  take: "oldest" | "newest";
}

/** Per-stream ordered history. A stream is a room, a topic, anything with a sequence. */
export interface HistoryStore {
  /** Assigns the next gapless seq and resolves only once the event is durable. */
  append(stream: string, event: NewEvent): Promise<StoredEvent>;
  read(stream: string, query: ReadQuery): Promise<StoredEvent[]>;
  /** Highest seq ever assigned in the stream (0 when none), including counter bumps. */
  lastSeq(stream: string): Promise<number>;
  /** Lowest seq still held (lastSeq + 1 when nothing is held). */
  firstSeq(stream: string): Promise<number>;
  /** Assigns the next seq without storing anything (a counter for content that must not be kept). */
  bump(stream: string): Promise<number>;
  /** Drops events beyond the newest `keepLast` or older than `olderThan` (ms epoch). Returns how many. */
  trim(stream: string, limits: { keepLast?: number; olderThan?: number }): Promise<number>;
}

export interface RoomRecord {
  id: string;
  topic: string;
  /** Closed rooms admit only administrators and invited users. */
  closed: boolean;
  locked: boolean;
  capacity: number | null;
  creator: string | null;
  admins: string[];
  bans: string[];
  meta: JsonObject;
  created: number;
  /** Bumped by every successful write; 0 for a record that was never stored. */
  rev: number;
}

export interface RoomStore {
  get(id: string): Promise<RoomRecord | null>;
  /** A page of rooms in id order (byte order), strictly after `after` in that direction. */
  list(query: { after?: string; limit: number; ascending: boolean }): Promise<RoomRecord[]>;
  /**
   * Compare and swap: stores `room` only while the stored revision is still
   * `expectRev` (0: only while no record exists). Resolves to the record as
   * stored, with `rev` = expectRev + 1, or null when another writer changed
   * (or created, or deleted) it first. `room.rev` is ignored.
   */
  write(room: RoomRecord, expectRev: number): Promise<RoomRecord | null>;
  delete(id: string): Promise<void>;
}

export interface AccountRecord {
  id: string;
  name: string;
  mail: string | null;
  /** Memory-hard hash (scrypt) in a self-describing string, or null for accounts without a password. */
  passwordHash: string | null;
  color: string;
  created: number;
  meta: JsonObject;
}

export class DuplicateError extends Error {
  constructor(readonly field: string) {
    super(`duplicate ${field}`);
  }
}

export interface AccountStore {
  /** Throws DuplicateError("name" | "mail") when taken. */
  create(account: AccountRecord): Promise<void>;
  byId(id: string): Promise<AccountRecord | null>;
  byName(name: string): Promise<AccountRecord | null>;
  byMail(mail: string): Promise<AccountRecord | null>;
  update(id: string, patch: Partial<Omit<AccountRecord, "id" | "created">>): Promise<void>;
  /**
   * A page of accounts in name order: the folded name (fold.ts) compared as
   * UTF-8 bytes, alike in every store. Folded names are unique, so the order is
   * total and `after` — a name, any case, typically the last one of the
   * previous page — pages without repeats or skips (an account renamed
   * meanwhile may move across the cursor).
   */
  list(query: AccountQuery): Promise<AccountRecord[]>;
}

export interface AccountQuery {
  /**
   * Keeps accounts whose name or mail contains it in any case (both folded),
   * or whose id is exactly it. `%`, `_` and `\` are plain characters here.
   * Absent or empty: every account.
   */
  search?: string;
  /** Only names that come strictly after this one in the order above. */
  after?: string;
  /** Page size, clamped to 0..ACCOUNT_PAGE_MAX (account-search.ts). */
  limit: number;
}

/**
 * Small values with an expiry: revoked token ids, session keys, held invites.
 * Expired entries are invisible at once and removed by the store's own sweep.
 */
export interface KvStore {
  put(ns: string, key: string, value: JsonObject, expiresAt: number | null): Promise<void>;
  get(ns: string, key: string): Promise<JsonObject | null>;
  delete(ns: string, key: string): Promise<boolean>;
  /** Every live entry of a namespace whose key starts with `prefix`. */
  list(ns: string, prefix: string): Promise<Array<{ key: string; value: JsonObject }>>;
  /** Stores only while no live entry exists under the key; true when this call stored it. */
  putIfAbsent(ns: string, key: string, value: JsonObject, expiresAt: number | null): Promise<boolean>;
  /**
   * Replaces the live entry only while it still equals `expect` (compared as
   * JSON text, so pass back exactly what `get` returned; null: only while
   * absent). `value` null deletes. True when this call made the change.
   */
  compareAndSet(ns: string, key: string, expect: JsonObject | null, value: JsonObject | null, expiresAt: number | null): Promise<boolean>;
}

/** One application document as stored; a deleted one stays as a tombstone (`deleted`, empty body). */
export interface DocumentRecord {
  collection: string;
  id: string;
  rev: number;
  owner: string;
  body: JsonObject;
  created: number;
  updated: number;
  deleted: boolean;
}

/** A page of live documents in (created, id) order, strictly after (or before, descending) `after`. */
export interface DocumentQuery {
  limit: number;
  ascending: boolean;
  after?: { created: number; id: string };
  owner?: string;
}

/** Revisioned JSON documents, grouped in collections. */
export interface DocumentStore {
  /** The document, tombstones included; null when the id was never used. */
  get(collection: string, id: string): Promise<DocumentRecord | null>;
  /** Stores a new document; false (nothing written) when the id is taken, even by a tombstone. */
  insert(doc: DocumentRecord): Promise<boolean>;
  /** Replaces the stored document only while its rev is still `expectRev` (compare and swap). */
  write(doc: DocumentRecord, expectRev: number): Promise<boolean>;
  /** Live documents only. */
  list(collection: string, query: DocumentQuery): Promise<DocumentRecord[]>;
}

export interface Store {
  readonly kind: string;
  readonly history: HistoryStore;
  readonly rooms: RoomStore;
  readonly accounts: AccountStore;
  readonly kv: KvStore;
  readonly documents: DocumentStore;
  /**
   * False while the store knows it cannot commit (its database unreachable);
   * readiness probes report it. Writes made meanwhile reject, never hang.
   */
  healthy(): boolean;
  /** Waits for every pending group commit to be durable. */
  flush(): Promise<void>;
  close(): Promise<void>;
}
