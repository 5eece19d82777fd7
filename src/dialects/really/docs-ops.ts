import { cursorOf, docChannels, readCursor, type Doc, type DocResult } from "../../core/documents/documents.js";
import { matchesDoc, parseFilter, type Filter } from "../../core/documents/filter.js";
import { isObject } from "../../core/documents/path.js";
import type { CoreEvent } from "../../core/types.js";
import type { JsonObject } from "../../core/json.js";
import type { Caller, Reply } from "./caller.js";
import { followFrom } from "./catch-up.js";
import { docRefusal, refuse } from "./errors.js";
import { page, tokenOf, tokens, type Fetch } from "./paging.js";
import { profile, READONLY_PROFILE_FIELDS } from "./profiles.js";
import { docMeta, docSnapshot } from "./render.js";
import { rOf, USERS } from "./resource.js";
import { docBody, getOptions, parseOr400, readOptions, updateBody, type Request } from "./schema.js";

const unwrap = (result: DocResult): Doc => (result.ok ? result.doc : docRefusal(result.code, result.message));

/** `_r` and `_rev` are the server's; a client that sends a snapshot back does not set them. */
function withoutMeta(body: JsonObject): JsonObject {
  const { _r: _ignoredR, _rev: _ignoredRev, ...rest } = body;
  return rest;
}

/** The snapshot, cut down to `fields` (top-level names) when asked. */
function pick(snapshot: JsonObject, fields: string[] | undefined): JsonObject {
  if (!fields) return snapshot;
  const out: JsonObject = { _r: snapshot._r, _rev: snapshot._rev };
  for (const f of fields) if (Object.hasOwn(snapshot, f)) out[f] = snapshot[f];
  return out;
}

async function load(caller: Caller, collection: string, id: string): Promise<Doc> {
  if (collection === USERS) return profile(caller.core, id, caller.auth);
  return unwrap(await caller.core.documents.get(collection, id, caller.auth.identity));
}

export async function getDoc(caller: Caller, collection: string, id: string, request: Request): Promise<Reply> {
  const opts = parseOr400(getOptions, request.cmdOpts, "cmdOpts");
  const doc = await load(caller, collection, id);
  return { r: rOf.doc(collection, id), rev: doc.rev, body: pick(docSnapshot(doc), opts?.fields) };
}

function filterOf(query: { filter: string; values: JsonObject } | undefined): Filter | undefined {
  if (!query) return undefined;
  const parsed = parseFilter(query.filter, query.values);
  return parsed.ok ? parsed.filter : refuse(400, "query.invalid", { "cmdOpts.query.filter": parsed.message });
}

export async function readDocs(caller: Caller, collection: string, request: Request): Promise<Reply> {
  const opts = parseOr400(readOptions, request.cmdOpts, "cmdOpts");
  const filter = filterOf(opts.query);
  const token = tokenOf(opts.paginationToken, (k) => typeof k === "string" && readCursor(k) !== null);
  const who = caller.auth.identity;
  const documents = caller.core.documents;
  const feed = opts.subscribe ? documents.feed(collection, who) : null;
  if (feed) {
    // A filtered live read is told only of new documents its query matches.
    const accepts = filter ? (e: CoreEvent) => e.type !== "created" || (isObject(e.data.body) && matchesDoc(filter, { collection, id: String(e.data.id), rev: Number(e.data.rev), body: e.data.body })) : undefined;
    const attachment = await caller.follows.follow(feed, true, accepts);
    caller.afterReply(() => attachment.release(0));
  }
  const fetch: Fetch<Doc, string> = async (after, ascending, limit) => {
    const listed = await documents.list(collection, { limit, ascending, after, filter }, who);
    return { items: listed.docs, next: listed.next };
  };
  const got = await page(fetch, cursorOf, { limit: opts.limit, ascending: opts.ascending, token, skip: opts.skip });
  const items = got.items.map((doc) => ({ meta: docMeta(doc), body: docSnapshot(doc) }));
  const body: JsonObject = { items, tokens: tokens(got) };
  if (opts.includeTotalCount) body.totalResults = await documents.count(collection, { filter }, who);
  return { r: `/${collection}/`, body };
}

export async function createDoc(caller: Caller, collection: string, request: Request): Promise<Reply> {
  if (collection === USERS) refuse(403, "object.forbidden", { r: "profiles are made by the server" });
  const body = withoutMeta(parseOr400(docBody, request.body ?? {}, "body"));
  const doc = unwrap(await caller.core.documents.create(collection, body, caller.auth.identity));
  return { r: rOf.doc(collection, doc.id), rev: doc.rev, body: docSnapshot(doc) };
}

export async function updateDoc(caller: Caller, collection: string, id: string, request: Request): Promise<Reply> {
  const rev = request.rev ?? refuse(400, "request.invalid", { rev: "required" });
  const { ops } = parseOr400(updateBody, request.body, "body");
  const who = caller.auth.identity;
  if (collection === USERS) {
    if (id !== who.id) refuse(403, "object.forbidden", { r: "a user may update only its own profile" });
    const fixed = ops.find((op) => READONLY_PROFILE_FIELDS.has(op.key.split(/[.[]/)[0]));
    if (fixed) refuse(403, "object.forbidden", { [fixed.key]: "set by the server" });
    await profile(caller.core, id, caller.auth);
  }
  const doc = unwrap(await caller.core.documents.update(collection, id, rev, ops, who));
  return { r: rOf.doc(collection, id), rev: doc.rev };
}

export async function deleteDoc(caller: Caller, collection: string, id: string): Promise<Reply> {
  if (collection === USERS) refuse(403, "object.forbidden", { r: "profiles cannot be deleted" });
  unwrap(await caller.core.documents.delete(collection, id, caller.auth.identity));
  return { r: rOf.doc(collection, id) };
}

/**
 * Subscribing needs read access, checked now; changes then reach the socket
 * until it unsubscribes. With the `rev` the client has, what it missed since
 * comes first (see `followFrom`).
 */
export async function followDoc(caller: Caller, collection: string, id: string, rev?: number): Promise<void> {
  if (rev !== undefined) return followFrom(caller, collection, id, rev, () => load(caller, collection, id));
  await load(caller, collection, id);
  const attachment = await caller.follows.follow(docChannels.doc(collection, id), false);
  attachment.release(0);
}
