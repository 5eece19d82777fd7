import type { JsonObject } from "../../core/json.js";
import type { RoomRecord, StoredEvent } from "../../engine/store/types.js";
import type { Caller, Reply } from "./caller.js";
import { refuse } from "./errors.js";
import { page, tokenOf, tokens, type Fetch } from "./paging.js";
import { messageItem, messageMeta } from "./render.js";
import { rOf } from "./resource.js";
import { messageBody, parseOr400, readOptions, roomBody, type Request } from "./schema.js";

/** History rows a read looks at for `msg` events before it answers with a short page. */
const MAX_SCAN = 2000;
/** Events (or rooms) `totalResults` counts through, at most: past it the count is a lower bound. */
const MAX_COUNT_SCAN = 100_000;
const COUNT_BATCH = 1000;

async function existing(caller: Caller, room: string): Promise<RoomRecord> {
  return (await caller.core.rooms.get(room)) ?? refuse(404, "object.missing");
}

async function roomSnapshot(caller: Caller, record: RoomRecord): Promise<JsonObject> {
  const seen = new Set<string>();
  const members: JsonObject[] = [];
  for (const m of await caller.core.rooms.members(record.id)) {
    if (seen.has(m.id)) continue;
    seen.add(m.id);
    members.push({ _r: rOf.user(m.id), name: m.name });
  }
  return { _r: rOf.room(record.id), _rev: 1, name: record.id, topic: record.topic, members };
}

export async function getRoom(caller: Caller, room: string): Promise<Reply> {
  const record = await existing(caller, room);
  return { r: rOf.room(room), rev: 1, body: await roomSnapshot(caller, record) };
}

/** Every room, in id order, paged like any collection; rooms are public, so there is no filter by reader. */
export async function readRooms(caller: Caller, request: Request): Promise<Reply> {
  const opts = parseOr400(readOptions, request.cmdOpts, "cmdOpts");
  if (opts.query) refuse(400, "request.invalid", { "cmdOpts.query": "rooms are listed by id, without a query" });
  if (opts.subscribe) refuse(400, "request.invalid", { "cmdOpts.subscribe": "the room list has no live feed; subscribe to a room's messages" });
  const token = tokenOf(opts.paginationToken, (k) => typeof k === "string");
  const fetch: Fetch<RoomRecord, string> = async (after, ascending, limit) => {
    const rooms = await caller.core.rooms.list({ after, limit: limit + 1, ascending });
    return rooms.length > limit ? { items: rooms.slice(0, limit), next: rooms[limit - 1].id } : { items: rooms };
  };
  const got = await page(fetch, (room) => room.id, { limit: opts.limit, ascending: opts.ascending, token, skip: opts.skip });
  const items = await Promise.all(got.items.map(async (room) => ({ meta: { created: new Date(room.created).toISOString() }, body: await roomSnapshot(caller, room) })));
  const body: JsonObject = { items, tokens: tokens(got) };
  if (opts.includeTotalCount) body.totalResults = await countRooms(caller);
  return { r: "/rooms/", body };
}

/** Every room, for `totalResults`. */
async function countRooms(caller: Caller): Promise<number> {
  let count = 0;
  let after: string | undefined;
  while (count < MAX_COUNT_SCAN) {
    const rooms = await caller.core.rooms.list({ after, limit: COUNT_BATCH, ascending: true });
    count += rooms.length;
    if (rooms.length < COUNT_BATCH) break;
    after = rooms[rooms.length - 1].id;
  }
  return count;
}

/** The room's messages (its `msg` events; topic changes and the like are not messages), for `totalResults`. */
async function countMessages(caller: Caller, room: string): Promise<number> {
  let count = 0;
  let from = 1;
  for (let scanned = 0; scanned < MAX_COUNT_SCAN; ) {
    const batch = await caller.core.rooms.history(room, { from, limit: COUNT_BATCH, take: "oldest" });
    for (const e of batch) if (e.type === "msg") count++;
    scanned += batch.length;
    if (batch.length < COUNT_BATCH) break;
    from = batch[batch.length - 1].seq + 1;
  }
  return count;
}

export async function getMessage(caller: Caller, room: string, nr: number): Promise<Reply> {
  await existing(caller, room);
  const [event] = await caller.core.rooms.history(room, { from: nr, before: nr + 1, limit: 1, take: "oldest" });
  if (!event || event.type !== "msg") refuse(404, "object.missing");
  return { r: rOf.message(room, nr), rev: 1, body: messageItem(room, event) };
}

/** Only `msg` events are messages; other stored events (topic changes…) are stepped over. */
function messageSource(caller: Caller, room: string): Fetch<StoredEvent, number> {
  return async (after, ascending, limit) => {
    const items: StoredEvent[] = [];
    let position = after;
    for (let scanned = 0; scanned < MAX_SCAN; ) {
      const range = ascending ? { from: (position ?? 0) + 1 } : position === undefined ? {} : { before: position };
      const batch = await caller.core.rooms.history(room, { ...range, limit: limit + 1, take: ascending ? "oldest" : "newest" });
      if (!ascending) batch.reverse();
      for (const e of batch) {
        scanned++;
        position = e.seq;
        if (e.type !== "msg") continue;
        if (items.length === limit) return { items, next: items[limit - 1].seq };
        items.push(e);
      }
      if (batch.length < limit + 1) return { items };
    }
    return { items, next: position };
  };
}

export async function readMessages(caller: Caller, room: string, request: Request): Promise<Reply> {
  await existing(caller, room);
  const opts = parseOr400(readOptions, request.cmdOpts, "cmdOpts");
  if (opts.query) refuse(400, "request.invalid", { "cmdOpts.query": "messages are read by sequence number, without a query" });
  const token = tokenOf(opts.paginationToken, (k) => typeof k === "number");
  const r = rOf.room(room) + "/messages/";
  if (opts.subscribe) {
    // Held from before the read: every message stored after `floor` is pushed after this reply, none twice.
    const attachment = await caller.follows.follow(caller.core.rooms.stream(room), true);
    const floor = await caller.core.rooms.lastSeq(room);
    caller.afterReply(() => attachment.release(floor));
  }
  const got = await page(messageSource(caller, room), (e) => e.seq, { limit: opts.limit, ascending: opts.ascending, token, skip: opts.skip });
  const items = got.items.map((e) => ({ meta: messageMeta(e), body: messageItem(room, e) }));
  const body: JsonObject = { items, tokens: tokens(got) };
  if (opts.includeTotalCount) body.totalResults = await countMessages(caller, room);
  return { r, body };
}

export async function createRoom(caller: Caller, request: Request): Promise<Reply> {
  const body = parseOr400(roomBody, request.body ?? {}, "body");
  const rooms = caller.core.rooms;
  if (await rooms.get(body.name)) refuse(409, "object.exists");
  const who = caller.auth.identity;
  await rooms.open(body.name, who.guest ? null : who.id);
  if (body.topic) await rooms.setTopic(body.name, who, body.topic);
  return getRoom(caller, body.name);
}

/** Stored, then fanned out to every dialect's members: the same event an instalk `msg` makes. */
export async function createMessage(caller: Caller, room: string, request: Request): Promise<Reply> {
  const record = await existing(caller, room);
  const data = parseOr400(messageBody(caller.config.maxMessageChars), request.body ?? {}, "body");
  const who = caller.auth.identity;
  if (record.bans.includes(who.id)) refuse(403, "room.banned");
  if (record.closed && !record.admins.includes(who.id)) {
    const inside = (await caller.core.rooms.members(room)).some((m) => m.id === who.id);
    if (!inside) refuse(403, "room.closed");
  }
  const stored = await caller.core.rooms.post(room, who, "msg", { body: data.body, mentions: data.mentions, attachments: data.attachments });
  return { r: rOf.message(room, stored.seq), rev: 1, body: messageItem(room, stored) };
}
