import type { Core } from "../core/core.js";
import { SYSTEM } from "../core/room-access.js";
import type { CoreEvent, UserRef } from "../core/types.js";
import type { RoomRecord, StoredEvent } from "../engine/store/types.js";
import {
  historyPage,
  historyQuery,
  kickBody,
  kicked,
  presence,
  published,
  roomList,
  roomListQuery,
  roomMessage,
  roomParams,
  roomSummary,
} from "./admin-schemas.js";
import { HttpError } from "./http.js";
import { op, type Operation } from "./operations.js";
import { errorBody } from "./schemas.js";
import type { ApiContext } from "./types.js";
import { RoomRefusal } from "../core/room-records.js";

/** Rooms read per store call while searching, and at most per request: a search of a huge server answers in pages. */
const SCAN_PAGE = 200;
const SCAN_MAX = 2000;

const iso = (ms: number) => new Date(ms).toISOString();

/** An event as the API shows it: the core's, with no dialect's rendering. */
export function eventView(e: Pick<CoreEvent, "type" | "time" | "sender" | "data"> & { seq?: number }) {
  return { seq: e.seq ?? null, type: e.type, time: iso(e.time), sender: { id: e.sender.id, name: e.sender.name }, data: e.data };
}

/** What the admin API and the dashboard's stream need to know of rooms. */
export class RoomViews {
  constructor(private readonly core: Core) {}

  async summary(room: RoomRecord) {
    const [entries, lastSeq] = await Promise.all([this.core.broker.presence.list(this.core.rooms.stream(room.id)), this.core.rooms.lastSeq(room.id)]);
    const { id, topic, closed, locked, capacity, creator, admins, bans } = room;
    return { id, topic, closed, locked, capacity, creator, admins, bans, created: iso(room.created), members: new Set(entries.map((e) => e.user.id)).size, connections: entries.length, lastSeq };
  }

  /** A page of rooms in id order, those whose id contains `q` (any case). */
  async list(query: { q?: string; after?: string; limit: number }) {
    const needle = query.q?.toLowerCase() ?? "";
    const found: RoomRecord[] = [];
    let cursor = query.after;
    let scanned = 0;
    // Whether rooms after `cursor` may exist.
    let more = true;
    while (found.length < query.limit && scanned < SCAN_MAX) {
      const page = await this.core.rooms.list({ after: cursor, limit: SCAN_PAGE, ascending: true });
      let i = 0;
      for (; i < page.length; i++) {
        scanned += 1;
        cursor = page[i].id;
        if (page[i].id.toLowerCase().includes(needle)) found.push(page[i]);
        if (found.length === query.limit) break;
      }
      if (page.length < SCAN_PAGE && i >= page.length - 1) {
        more = false;
        break;
      }
    }
    return { rooms: await Promise.all(found.map((r) => this.summary(r))), next: more && cursor !== undefined ? cursor : null };
  }

  async get(roomId: string): Promise<RoomRecord> {
    const room = await this.core.rooms.get(roomId);
    if (!room) throw new HttpError(404, "room.unknown", "no such room");
    return room;
  }

  /** Connection-level presence folded into one entry per user, with the nodes that hold it. */
  async presence(roomId: string) {
    const byUser = new Map<string, { id: string; name: string; color: string; verified: boolean; guest: boolean; connections: number; nodes: string[] }>();
    for (const e of await this.core.broker.presence.list(this.core.rooms.stream(roomId))) {
      const known = byUser.get(e.user.id);
      if (known) {
        known.connections += 1;
        if (!known.nodes.includes(e.node)) known.nodes.push(e.node);
        continue;
      }
      const info = e.info;
      byUser.set(e.user.id, {
        id: e.user.id,
        name: e.user.name,
        color: typeof info.color === "string" ? info.color : "#888888",
        verified: info.verified === true,
        guest: info.guest === true,
        connections: 1,
        nodes: [e.node],
      });
    }
    return { room: roomId, members: [...byUser.values()] };
  }
}

/** Who a message is posted as: the system, an account, or a user present on `channel` (a guest). */
export async function senderFor(core: Core, as: string | undefined, channel: string): Promise<UserRef> {
  if (as === undefined) return SYSTEM;
  const account = await core.accounts.byId(as);
  if (account) return { id: account.id, name: account.name };
  const member = (await core.presence.members(channel)).find((m) => m.id === as);
  if (member) return { id: member.id, name: member.name };
  throw new HttpError(404, "user.unknown", "no account has that id, and no one present has it");
}

export const publishedView = (e: StoredEvent) => ({ stream: e.stream, seq: e.seq, time: iso(e.time), sender: { id: e.sender.id, name: e.sender.name } });

const unknownRoom = { description: "no such room", schema: errorBody };

/** Rooms for the operator: list, one room, its presence and history; post, kick, ban and unban. */
export function adminRoomOperations({ core }: ApiContext): Operation[] {
  const views = new RoomViews(core);
  return [
    op({
      id: "listRooms",
      method: "GET",
      path: "/api/admin/rooms",
      summary: "Rooms with member counts and last seq, in id order",
      description: "Every room any dialect made. A search scans at most 2000 rooms per request: a page may hold fewer than `limit` rooms while `next` is not null.",
      tags: ["rooms"],
      security: "admin",
      query: roomListQuery,
      responses: { 200: { description: "a page of rooms", schema: roomList } },
      async handle({ query }) {
        return { status: 200, body: await views.list(query) };
      },
    }),
    op({
      id: "getRoom",
      method: "GET",
      path: "/api/admin/rooms/{room}",
      summary: "One room",
      tags: ["rooms"],
      security: "admin",
      params: roomParams,
      responses: { 200: { description: "the room", schema: roomSummary }, 404: unknownRoom },
      async handle({ params }) {
        return { status: 200, body: await views.summary(await views.get(params.room)) };
      },
    }),
    op({
      id: "roomPresence",
      method: "GET",
      path: "/api/admin/rooms/{room}/presence",
      summary: "Who is in a room now, on which nodes",
      tags: ["rooms"],
      security: "admin",
      params: roomParams,
      responses: { 200: { description: "one entry per user", schema: presence }, 404: unknownRoom },
      async handle({ params }) {
        await views.get(params.room);
        return { status: 200, body: await views.presence(params.room) };
      },
    }),
    op({
      id: "roomHistory",
      method: "GET",
      path: "/api/admin/rooms/{room}/history",
      summary: "A page of a room's stored events",
      description: "The newest `limit` events by default; `before` pages back, `from` pages forward. Relay's messages are never stored, so they are not here.",
      tags: ["rooms"],
      security: "admin",
      params: roomParams,
      query: historyQuery,
      responses: { 200: { description: "events, oldest first", schema: historyPage }, 404: unknownRoom },
      async handle({ params, query }) {
        await views.get(params.room);
        const forward = query.from !== undefined;
        const events = await core.rooms.history(params.room, { from: query.from, before: query.before, limit: query.limit, take: forward ? "oldest" : "newest" });
        const stream = core.rooms.stream(params.room);
        const [first, last] = await Promise.all([core.store.history.firstSeq(stream), core.rooms.lastSeq(params.room)]);
        // An empty page has nothing on either side in the direction asked: no cursors.
        const oldest = events[0]?.seq;
        const newest = events.at(-1)?.seq;
        return {
          status: 200,
          body: {
            events: events.map(eventView),
            prev: oldest !== undefined && oldest > first ? oldest : null,
            next: newest !== undefined && newest < last ? newest + 1 : null,
          },
        };
      },
    }),
    op({
      id: "postRoomMessage",
      method: "POST",
      path: "/api/admin/rooms/{room}/messages",
      summary: "Posts a message into a room, as the system or on behalf of a user",
      description: "Stored, then sent to the room's members in every dialect that shows room messages (instalk, really, fuse).",
      tags: ["rooms"],
      security: "admin",
      params: roomParams,
      body: roomMessage,
      responses: {
        201: { description: "stored and sent", schema: published },
        403: { description: "the room keeps no content (relay uses it)", schema: errorBody },
        404: { description: "no such room, or no such user for `as`", schema: errorBody },
      },
      async handle({ params, body }) {
        await views.get(params.room);
        const sender = await senderFor(core, body.as, core.rooms.stream(params.room));
        let stored;
        try {
          stored = await core.rooms.post(params.room, sender, "msg", { body: body.body, mentions: body.mentions ?? [], attachments: body.attachments ?? [] });
        } catch (err) {
          // A room relay uses keeps no content, whoever writes: the operator is told, as every dialect's client is.
          if (err instanceof RoomRefusal) throw new HttpError(403, err.code, err.message);
          throw err;
        }
        return { status: 201, body: publishedView(stored) };
      },
    }),
    op({
      id: "kickFromRoom",
      method: "POST",
      path: "/api/admin/rooms/{room}/kick",
      summary: "Kicks a user out of a room on every node and in every dialect; optionally bans",
      tags: ["rooms"],
      security: "admin",
      params: roomParams,
      body: kickBody,
      responses: {
        200: { description: "kicked (and banned)", schema: kicked },
        404: unknownRoom,
        409: { description: "the user is not in the room (a ban needs no presence)", schema: errorBody },
      },
      async handle({ params, body }) {
        const present = (await core.rooms.members(params.room)).some((m) => m.id === body.user);
        const result = await core.access.systemKick(params.room, body.user, { message: body.message ?? null, permanent: body.ban, targetPresent: present });
        if (!result.ok && result.code === "room.unknown") throw new HttpError(404, "room.unknown", "no such room");
        if (!result.ok) throw new HttpError(409, "user.not-member", "the user is not in the room; ban to keep them out");
        return { status: 200, body: { room: params.room, user: body.user, banned: body.ban } };
      },
    }),
    op({
      id: "unbanFromRoom",
      method: "DELETE",
      path: "/api/admin/rooms/{room}/bans/{user}",
      summary: "Lifts a ban",
      tags: ["rooms"],
      security: "admin",
      params: roomParams.extend({ user: roomParams.shape.room.describe("the banned user's id") }),
      responses: { 204: { description: "the user may come back" }, 404: { description: "no such room, or the user is not banned", schema: errorBody } },
      async handle({ params }) {
        const result = await core.access.unban(params.room, params.user);
        if (!result.ok) throw new HttpError(404, result.code === "room.unknown" ? "room.unknown" : "ban.unknown", result.code === "room.unknown" ? "no such room" : "the user is not banned here");
        return { status: 204 };
      },
    }),
  ];
}
