import type { Doc } from "../../core/documents/documents.js";
import { isObject } from "../../core/documents/path.js";
import type { JsonObject } from "../../core/json.js";
import type { CoreEvent, Renderer } from "../../core/types.js";
import type { StoredEvent } from "../../engine/store/types.js";
import { rOf } from "./resource.js";

const iso = (ms: number) => new Date(ms).toISOString();
const roomOf = (channel: string) => channel.slice("room:".length);

/** A document as the protocol shows an object: its fields, then `_r` and `_rev` (which always win). */
export function docSnapshot(doc: Pick<Doc, "collection" | "id" | "rev" | "body">): JsonObject {
  return { ...doc.body, _r: rOf.doc(doc.collection, doc.id), _rev: doc.rev };
}

/** A stored `msg` event as a message object of `/rooms/<id>/messages/`. */
export function messageItem(room: string, e: Pick<StoredEvent, "seq" | "time" | "sender" | "data">): JsonObject {
  return {
    _r: rOf.message(room, e.seq),
    _rev: 1,
    nr: e.seq,
    time: iso(e.time),
    sender: { _r: rOf.user(e.sender.id), name: e.sender.name },
    body: e.data.body ?? "",
    mentions: e.data.mentions ?? [],
    attachments: e.data.attachments ?? [],
  };
}

export const docMeta = (doc: Doc): JsonObject => ({ owner: rOf.user(doc.owner), created: iso(doc.created), updated: iso(doc.updated) });
export const messageMeta = (e: Pick<StoredEvent, "time">): JsonObject => ({ created: iso(e.time) });

/**
 * The original protocol's `meta.opBy`: who made the change and how it signed
 * in, from the author's profile the core keeps with each change (a guest is
 * `anonymous`, an account `password`); what the server made itself (the admin
 * API's posts) carries no profile and says `system`.
 */
function opBy(e: CoreEvent): JsonObject {
  const by = isObject(e.data.by) ? e.data.by : null;
  const authType = by === null ? "system" : by.guest === true ? "anonymous" : "password";
  return { opBy: { authType, uid: e.sender.id, data: {} } };
}

// A `created` push names the collection it was read from, with `*` for the id ("/notes/" gives "/notes/*/",
// the original's "/messages/*/" style); the new object's own path is its `_r`.
export const feedR = (collection: string) => `${collection}*/`;

function push(evt: string, r: string, rest: JsonObject): string {
  return JSON.stringify({ evt, r, ...rest });
}

/**
 * Pushes for subscribers: new messages of a room read with `subscribe`, new
 * documents of a collection read with `subscribe`, and changes to subscribed
 * objects. Rendered once per event for every really socket that gets it.
 */
export const reallyRenderer: Renderer = {
  render(e: CoreEvent): string | null {
    if (e.channel.startsWith("room:")) {
      if (e.type !== "msg" || e.seq === undefined) return null;
      const room = roomOf(e.channel);
      const item = messageItem(room, { seq: e.seq, time: e.time, sender: e.sender, data: e.data });
      return push("created", feedR(`${rOf.room(room)}/messages/`), { rev: 1, body: item, meta: opBy(e) });
    }
    const { collection, id, rev } = e.data;
    if (typeof collection !== "string" || typeof id !== "string" || typeof rev !== "number") return null;
    const r = rOf.doc(collection, id);
    switch (e.type) {
      case "created":
        if (!isObject(e.data.body)) return null;
        return push("created", feedR(`/${collection}/`), { rev, body: docSnapshot({ collection, id, rev, body: e.data.body }), meta: opBy(e) });
      case "updated":
        return push("updated", r, { rev, body: e.data.changes ?? {}, meta: opBy(e) });
      case "deleted":
        return push("deleted", r, { rev, meta: opBy(e) });
      default:
        return null;
    }
  },
};

export interface WireError {
  code: number;
  message: string;
  errors?: Record<string, string>;
}

/** A refusal: the request's tag and r when it had them. */
export function errorFrame(error: WireError, tag?: number, r?: string): string {
  const frame: JsonObject = {};
  if (tag !== undefined) frame.tag = tag;
  if (r !== undefined) frame.r = r;
  frame.error = error.errors ? { code: error.code, message: error.message, errors: error.errors } : { code: error.code, message: error.message };
  return JSON.stringify(frame);
}
