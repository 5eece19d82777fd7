import type { DocumentRecord, DocumentStore, HistoryStore } from "../../engine/store/types.js";
import type { Hub } from "../hub.js";
import { randomId } from "../identity.js";
import type { JsonObject } from "../json.js";
import { withSenderProfile } from "../rooms.js";
import type { CoreEvent, UserRef } from "../types.js";
import { accessFor, mayRead, mayWrite, type Access, type AccessRules } from "./access.js";
import { ChangeLog } from "./change-log.js";
import { matchesDoc, type Filter } from "./filter.js";
import { applyOps, diffChanges, type Changes, type UpdateOp } from "./ops.js";
import { isObject } from "./path.js";

/** The collection whose documents are user profiles, keyed by user id. */
export const PROFILES = "users";

export type { Filter } from "./filter.js";
export type { UpdateOp } from "./ops.js";

/** A live document: `{collection, id, rev, owner, body, created, updated}` (times in ms since epoch). */
export type Doc = Omit<DocumentRecord, "deleted">;

export type DocCode = "missing" | "gone" | "stale" | "forbidden" | "invalid" | "too-large";
export type DocResult = { ok: true; doc: Doc } | { ok: false; code: DocCode; message?: string };

export interface ListQuery {
  limit: number;
  ascending?: boolean;
  /** A `next` from an earlier page (or `cursorOf` a document): continue strictly after it. */
  after?: string;
  filter?: Filter;
  owner?: string;
}

export interface DocumentsOptions extends AccessRules {
  /** Largest body, as UTF-8 JSON. */
  maxDocumentBytes: number;
}

/** A collection is one name or a nested path `posts/p1/comments`; ids are URL-safe. */
export const COLLECTION = /^[A-Za-z][A-Za-z0-9_-]{0,63}(?:\/[A-Za-z0-9_.~-]{1,64}\/[A-Za-z][A-Za-z0-9_-]{0,63}){0,3}$/;
export const DOC_ID = /^[A-Za-z0-9_.~-]{1,64}$/;
export const MAX_LIST = 200;
/** Rows a filtered list looks at before it answers with a short page and a `next` to go on from. */
const MAX_SCAN = 5000;
/** Documents `count` looks at, at most: past it the count is a lower bound (the original's counts were "not accurate" too). */
export const MAX_COUNT_SCAN = 100_000;
const COUNT_BATCH = 1000;
const MAX_OPS = 100;

/** Where change events go: one document's, and a collection's new documents (per owner when only owners may read). */
export const docChannels = {
  doc: (collection: string, id: string) => `doc:${collection}/${id}`,
  feed: (collection: string, owner?: string) => (owner === undefined ? `docs:${collection}` : `docs:${collection}~${owner}`),
};

export function cursorOf(doc: Pick<Doc, "created" | "id">): string {
  return Buffer.from(`${doc.created}/${doc.id}`).toString("base64url");
}

export function readCursor(cursor: string): { created: number; id: string } | null {
  const text = Buffer.from(cursor, "base64url").toString("utf8");
  const slash = text.indexOf("/");
  const created = Number(text.slice(0, slash));
  const id = text.slice(slash + 1);
  return slash > 0 && Number.isSafeInteger(created) && DOC_ID.test(id) ? { created, id } : null;
}

const toDoc = ({ deleted: _deleted, ...doc }: DocumentRecord): Doc => doc;
const refused = (code: DocCode, message?: string): DocResult => (message === undefined ? { ok: false, code } : { ok: false, code, message });

/**
 * Application documents: JSON objects with revisions, grouped in collections,
 * shared by every dialect (really's collections, fuse's save/load). Every
 * change is announced through the hub, so subscribers on any node hear of it.
 */
export class Documents {
  private lastCreated = 0;
  /** Recent changes per document, once `keepChanges` turned it on (really's subscribe with `rev`). */
  private changes: ChangeLog | null = null;

  constructor(
    private readonly store: DocumentStore,
    private readonly hub: Hub,
    private readonly options: DocumentsOptions,
    private readonly now: () => number = Date.now,
  ) {}

  access(collection: string): Access {
    return accessFor(this.options, collection);
  }

  /** From now on every change is also kept (bounded, per document) in `history`, for `changesSince`. */
  keepChanges(history: HistoryStore): void {
    this.changes ??= new ChangeLog(history);
  }

  /**
   * The `updated` events (as subscribers got them) that took the document from
   * `fromRev` to `toRev`, in order; null when they are not all held any more.
   */
  changesSince(collection: string, id: string, fromRev: number, toRev: number): Promise<CoreEvent[] | null> {
    if (!this.changes) return Promise.resolve(toRev <= fromRev ? [] : null);
    return this.changes.since(docChannels.doc(collection, id), collection, id, fromRev, toRev);
  }

  /** The channel carrying `created` events `by` may see, or null when it may see none. */
  feed(collection: string, by: UserRef | null): string | null {
    if (this.access(collection).read === "any") return docChannels.feed(collection);
    return by ? docChannels.feed(collection, by.id) : null;
  }

  /** A deleted document answers `gone`, one that never was `missing`. */
  async get(collection: string, id: string, by: UserRef | null): Promise<DocResult> {
    if (!COLLECTION.test(collection) || !DOC_ID.test(id)) return refused("invalid", "collection or id is not valid");
    const found = await this.store.get(collection, id);
    if (!found) return refused("missing");
    if (found.deleted) return refused("gone");
    if (!mayRead(this.access(collection), found.owner, by)) return refused("forbidden");
    return { ok: true, doc: toDoc(found) };
  }

  /** A new document at rev 1 owned by `by`; an id already used answers `stale` (or `gone` when deleted). */
  async create(collection: string, body: JsonObject, by: UserRef, id: string = randomId(16)): Promise<DocResult> {
    if (!COLLECTION.test(collection) || !DOC_ID.test(id)) return refused("invalid", "collection or id is not valid");
    // `users/<id>` is user <id>'s profile, whichever dialect writes it: nobody makes one for someone else.
    if (collection === PROFILES && id !== by.id) return refused("forbidden", "a profile is made only for its own user");
    const bad = this.checkBody(body);
    if (bad) return bad;
    const time = this.createdStamp();
    const record: DocumentRecord = { collection, id, rev: 1, owner: by.id, body, created: time, updated: time, deleted: false };
    if (!(await this.store.insert(record))) {
      const taken = await this.store.get(collection, id);
      return taken?.deleted ? refused("gone") : refused("stale", "id already exists");
    }
    const doc = toDoc(record);
    const owner = this.access(collection).read === "owner" ? doc.owner : undefined;
    await this.announce(docChannels.feed(collection, owner), "created", by, { ...doc });
    return { ok: true, doc };
  }

  /** The whole body at once; with `rev`, only while the document is still at that revision. */
  async replace(collection: string, id: string, body: JsonObject, by: UserRef, rev?: number): Promise<DocResult> {
    const bad = this.checkBody(body);
    if (bad) return bad;
    for (let attempt = 0; ; attempt++) {
      const found = await this.writable(collection, id, by, rev);
      if (!found.ok) return found;
      const result = await this.commit(found.doc, body, by, diffChanges(found.doc.body, body));
      // Without a rev the caller asked for "last write wins": retry a lost race a few times.
      if (result.ok || rev !== undefined || result.code !== "stale" || attempt === 3) return result;
    }
  }

  /** Applies every op or none, only while the document is at `rev`. */
  async update(collection: string, id: string, rev: number, ops: UpdateOp[], by: UserRef): Promise<DocResult> {
    if (!Array.isArray(ops) || ops.length === 0 || ops.length > MAX_OPS) return refused("invalid", `ops must hold 1-${MAX_OPS} operations`);
    const found = await this.writable(collection, id, by, rev);
    if (!found.ok) return found;
    const applied = applyOps(found.doc.body, ops);
    if (!applied.ok) return refused("invalid", applied.message);
    const bad = this.checkBody(applied.body);
    if (bad) return bad;
    return this.commit(found.doc, applied.body, by, applied.changes);
  }

  /** Leaves a tombstone: later reads answer `gone`. */
  async delete(collection: string, id: string, by: UserRef): Promise<DocResult> {
    const found = await this.writable(collection, id, by);
    if (!found.ok) return found;
    const doc = found.doc;
    const tombstone: DocumentRecord = { ...doc, rev: doc.rev + 1, body: {}, updated: this.now(), deleted: true };
    if (!(await this.store.write(tombstone, doc.rev))) return this.lostRace(collection, id);
    await this.announce(docChannels.doc(collection, id), "deleted", by, { collection, id, rev: tombstone.rev });
    this.changes?.forget(collection, id);
    return { ok: true, doc: toDoc(tombstone) };
  }

  /**
   * A page of live documents in creation order (newest first unless `ascending`).
   * `next` is there while more may follow. A filtered page can come back short
   * (even empty) with a `next` when the scan limit was reached first.
   * Throws RangeError for an `after` that is not a cursor.
   */
  async list(collection: string, q: ListQuery, by: UserRef | null): Promise<{ docs: Doc[]; next?: string }> {
    if (!COLLECTION.test(collection)) return { docs: [] };
    let after = q.after === undefined ? undefined : (readCursor(q.after) ?? undefined);
    if (q.after !== undefined && !after) throw new RangeError("not a document cursor");
    let owner = q.owner;
    if (this.access(collection).read === "owner") {
      if (!by || (owner !== undefined && owner !== by.id)) return { docs: [] };
      owner = by.id;
    }
    const limit = Math.max(1, Math.min(MAX_LIST, Math.floor(q.limit)));
    const batch = q.filter ? Math.max(limit + 1, 100) : limit + 1;
    const docs: Doc[] = [];
    for (let scanned = 0; scanned < MAX_SCAN; ) {
      const rows = await this.store.list(collection, { limit: batch, ascending: q.ascending ?? false, after, owner });
      for (const row of rows) {
        scanned++;
        after = { created: row.created, id: row.id };
        if (q.filter && !matchesDoc(q.filter, row)) continue;
        if (docs.length === limit) return { docs, next: cursorOf(docs[limit - 1]) };
        docs.push(toDoc(row));
      }
      if (rows.length < batch) return { docs };
    }
    return { docs, next: after ? cursorOf(after) : undefined };
  }

  /**
   * How many live documents `list` shows over all its pages, for the same
   * filter and reader. Looks at up to MAX_COUNT_SCAN documents.
   */
  async count(collection: string, q: Pick<ListQuery, "filter" | "owner">, by: UserRef | null): Promise<number> {
    if (!COLLECTION.test(collection)) return 0;
    let owner = q.owner;
    if (this.access(collection).read === "owner") {
      if (!by || (owner !== undefined && owner !== by.id)) return 0;
      owner = by.id;
    }
    let count = 0;
    let after: { created: number; id: string } | undefined;
    for (let scanned = 0; scanned < MAX_COUNT_SCAN; ) {
      const rows = await this.store.list(collection, { limit: COUNT_BATCH, ascending: true, after, owner });
      for (const row of rows) if (!q.filter || matchesDoc(q.filter, row)) count++;
      scanned += rows.length;
      if (rows.length < COUNT_BATCH) break;
      after = { created: rows[rows.length - 1].created, id: rows[rows.length - 1].id };
    }
    return count;
  }

  /** Creation times never repeat on a node, so its documents list in the order they were made. */
  private createdStamp(): number {
    this.lastCreated = Math.max(this.now(), this.lastCreated + 1);
    return this.lastCreated;
  }

  private checkBody(body: JsonObject): DocResult | null {
    if (!isObject(body)) return refused("invalid", "body must be a JSON object");
    const bytes = Buffer.byteLength(JSON.stringify(body));
    if (bytes > this.options.maxDocumentBytes) return refused("too-large", `body is ${bytes} bytes; the limit is ${this.options.maxDocumentBytes}`);
    return null;
  }

  /** The live document `by` may change, at `rev` when one is given. */
  private async writable(collection: string, id: string, by: UserRef, rev?: number): Promise<DocResult> {
    if (!COLLECTION.test(collection) || !DOC_ID.test(id)) return refused("invalid", "collection or id is not valid");
    const found = await this.store.get(collection, id);
    if (!found) return refused("missing");
    if (found.deleted) return refused("gone");
    if (!mayWrite(this.access(collection), found.owner, by)) return refused("forbidden");
    if (rev !== undefined && rev !== found.rev) return refused("stale", `the document is at rev ${found.rev}`);
    return { ok: true, doc: toDoc(found) };
  }

  private async commit(doc: Doc, body: JsonObject, by: UserRef, changes: Changes): Promise<DocResult> {
    const next: DocumentRecord = { ...doc, rev: doc.rev + 1, body, updated: this.now(), deleted: false };
    if (!(await this.store.write(next, doc.rev))) return this.lostRace(doc.collection, doc.id);
    const event = await this.announce(docChannels.doc(doc.collection, doc.id), "updated", by, { collection: doc.collection, id: doc.id, rev: next.rev, changes });
    this.changes?.record(event, doc.collection, doc.id);
    return { ok: true, doc: toDoc(next) };
  }

  /** Someone else wrote between our read and our write. */
  private async lostRace(collection: string, id: string): Promise<DocResult> {
    const now = await this.store.get(collection, id);
    return now?.deleted ? refused("gone") : refused("stale", now ? `the document is at rev ${now.rev}` : undefined);
  }

  /** Publishes a change; the author's profile goes along (really says whether it was anonymous). Resolves to the event. */
  private async announce(channel: string, type: "created" | "updated" | "deleted", by: UserRef, data: JsonObject): Promise<CoreEvent> {
    const event: CoreEvent = { channel, type, time: this.now(), sender: { id: by.id, name: by.name }, data: withSenderProfile(by, data) };
    await this.hub.publish(event);
    return event;
  }
}
