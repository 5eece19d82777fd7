import { createHash, randomBytes } from "node:crypto";
import type { ServerResponse } from "node:http";
import { z } from "zod";
import type { Core } from "../core/core.js";
import { randomId } from "../core/identity.js";
import type { Renderer, Subscriber } from "../core/types.js";
import type { Logger } from "../observability/log.js";
import { eventView, RoomViews } from "./admin-rooms.js";
import { presence, roomEvent, roomList, roomSummary, stats } from "./admin-schemas.js";
import { currentStats } from "./admin-stats.js";
import { HttpError } from "./http.js";
import { op, type Operation } from "./operations.js";
import { errorBody, isoTime, named, segment } from "./schemas.js";
import type { ApiContext } from "./types.js";

const TICKETS_NS = "admin-stream-tickets";
const TICKET_TTL_MS = 30_000;
const STATS_MS = 1000;
const ROOMS_MS = 2000;
/** Rooms in the stream's list: each costs a presence read and a position read per refresh. */
const ROOMS_LISTED = 50;
const ROOM_MS = 2000;
/** A member joining or leaving is shown after this, so a crowd arriving at once costs one presence read. */
const MEMBERS_DEBOUNCE_MS = 100;
const KEEPALIVE_MS = 15_000;
/** A dashboard that stops reading is cut off rather than buffered without end. */
const MAX_BUFFER = 1024 * 1024;

const digest = (ticket: string) => createHash("sha256").update(ticket).digest("base64url");

/**
 * One-use tickets for the event stream. An EventSource cannot send an
 * Authorization header, and the admin key must not appear in a URL (or in
 * any log that keeps URLs), so the dashboard trades the key for a ticket
 * that opens one stream within 30 s. Kept in the store, so a ticket taken
 * from one node opens a stream on any node behind the balancer.
 */
export class StreamTickets {
  constructor(private readonly core: Core) {}

  async issue(): Promise<{ ticket: string; expiresAt: number }> {
    const ticket = randomBytes(24).toString("base64url");
    const expiresAt = Date.now() + TICKET_TTL_MS;
    await this.core.store.kv.put(TICKETS_NS, digest(ticket), { at: Date.now() }, expiresAt);
    return { ticket, expiresAt };
  }

  /** True once per issued, unexpired ticket, however many requests race with it. */
  redeem(ticket: string): Promise<boolean> {
    return this.core.store.kv.delete(TICKETS_NS, digest(ticket));
  }
}

/** Rendered once per event for every dashboard tailing the room (the hub caches per renderer). */
const tailRenderer: Renderer = { render: (e) => JSON.stringify(eventView(e)) };

const streamQuery = z
  .strictObject({
    ticket: z.string().min(1).max(128).describe("from POST /api/admin/stream-tickets; opens one stream"),
    view: z.enum(["overview", "rooms", "room"]).default("overview").describe("rooms: also the room list; room: also one room's members and live events"),
    room: segment(256).optional().describe("the room of view=room"),
    q: z.string().max(128).optional().describe("the room list's search (view=rooms)"),
  })
  .refine((v) => v.view !== "room" || v.room !== undefined, { message: "view=room needs room", path: ["room"] });

export const streamEvent = named(
  "StreamEvent",
  z.discriminatedUnion("event", [
    z.strictObject({ event: z.literal("stats"), data: stats }),
    z.strictObject({ event: z.literal("rooms"), data: roomList }),
    z.strictObject({ event: z.literal("room"), data: roomSummary }),
    z.strictObject({ event: z.literal("members"), data: presence }),
    z.strictObject({ event: z.literal("event"), data: roomEvent }),
  ]),
  "One server-sent event: its `event:` name and its `data:` line, parsed.",
);

type StreamQuery = z.output<typeof streamQuery>;

/** One dashboard's stream: periodic snapshots, plus the room's events as they happen. */
class AdminStream {
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly busy = new Set<string>();
  private membersTimer: NodeJS.Timeout | null = null;
  private sub: Subscriber | null = null;
  private closed = false;

  constructor(
    private readonly core: Core,
    private readonly views: RoomViews,
    private readonly res: ServerResponse,
    private readonly query: StreamQuery,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    // The dashboard may have gone while its ticket was checked: 'close' has fired already and would never come.
    if (this.res.destroyed) return;
    this.res.on("close", () => this.stop());
    this.res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store", "x-accel-buffering": "no" });
    // Reconnecting needs a new ticket, which the page asks for itself: the browser's own retry is slowed down.
    this.res.write("retry: 10000\n\n");
    this.every("stats", STATS_MS, async () => this.send("stats", await currentStats(this.core)));
    const { view, room, q } = this.query;
    if (view === "rooms") this.every("rooms", ROOMS_MS, async () => this.send("rooms", await this.views.list({ q, limit: ROOMS_LISTED })));
    if (view === "room" && room !== undefined) {
      this.every("room", ROOM_MS, async () => this.send("room", await this.views.summary(await this.views.get(room))));
      this.every("members", ROOM_MS * 2, () => this.members(room));
      await this.tail(room);
    }
    this.timers.push(setInterval(() => this.write(": keep-alive\n\n"), KEEPALIVE_MS));
  }

  /** The room's events from now on, as the hub fans them out to members: attached like any subscriber, but not present. */
  private async tail(room: string): Promise<void> {
    const sub: Subscriber = {
      connId: `admin-${randomId(12)}`,
      user: { id: `admin-stream-${randomId(8)}`, name: "admin" },
      renderer: tailRenderer,
      deliver: (frame) => {
        this.write(`event: event\ndata: ${frame.text}\n\n`);
        const type = (JSON.parse(frame.text) as { type: string }).type;
        if (type === "joined" || type === "left" || type === "set-user-info") this.membersSoon(room);
      },
    };
    this.sub = sub;
    await this.core.hub.attach(this.core.rooms.stream(room), sub, false);
    if (this.closed) this.core.hub.detach(this.core.rooms.stream(room), sub.connId);
  }

  private membersSoon(room: string): void {
    if (this.membersTimer || this.closed) return;
    this.membersTimer = setTimeout(() => {
      this.membersTimer = null;
      void this.guarded("members", () => this.members(room));
    }, MEMBERS_DEBOUNCE_MS);
  }

  private async members(room: string): Promise<void> {
    this.send("members", await this.views.presence(room));
  }

  /** Runs `work` now and every `ms`; a run still going when the next is due is not doubled. */
  private every(name: string, ms: number, work: () => Promise<void>): void {
    void this.guarded(name, work);
    this.timers.push(setInterval(() => void this.guarded(name, work), ms));
  }

  private async guarded(name: string, work: () => Promise<void>): Promise<void> {
    if (this.busy.has(name) || this.closed) return;
    this.busy.add(name);
    try {
      await work();
    } catch (err) {
      if (err instanceof HttpError && err.status === 404) return this.stop(); // the room is gone
      this.log.warn({ err, view: this.query.view }, "admin stream refresh failed");
    } finally {
      this.busy.delete(name);
    }
  }

  private send(event: string, data: unknown): void {
    this.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  private write(text: string): void {
    if (this.closed) return;
    if (this.res.destroyed || this.res.writableLength > MAX_BUFFER) return this.stop();
    this.res.write(text);
  }

  private stop(): void {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    if (this.membersTimer) clearTimeout(this.membersTimer);
    if (this.sub && this.query.room !== undefined) this.core.hub.detach(this.core.rooms.stream(this.query.room), this.sub.connId);
    if (!this.res.writableEnded) this.res.end();
  }
}

/** The dashboard's live numbers: a ticket for the Bearer key, then a server-sent event stream opened with it. */
export function adminStreamOperations({ core, log }: ApiContext): Operation[] {
  const tickets = new StreamTickets(core);
  const views = new RoomViews(core);
  return [
    op({
      id: "createStreamTicket",
      method: "POST",
      path: "/api/admin/stream-tickets",
      summary: "A one-use ticket that opens one event stream within 30 s",
      tags: ["admin"],
      security: "admin",
      responses: { 201: { description: "the ticket", schema: named("StreamTicket", z.strictObject({ ticket: z.string(), expiresAt: isoTime })) } },
      async handle() {
        const { ticket, expiresAt } = await tickets.issue();
        return { status: 201, body: { ticket, expiresAt: new Date(expiresAt).toISOString() } };
      },
    }),
    op({
      id: "adminStream",
      method: "GET",
      path: "/api/admin/stream",
      summary: "Live numbers for the dashboard (server-sent events)",
      description:
        "Events: `stats` every second; with view=rooms `rooms` (the first 50 matching `q`) every 2 s; with view=room `room` every 2 s, `members` when someone joins or leaves, and `event` for each of the room's events as it happens (stored ones carry their seq). Each `data:` line is the JSON the StreamEvent schema gives for that event.",
      tags: ["admin"],
      security: "none",
      query: streamQuery,
      responses: {
        200: { description: "the stream", contentType: "text/event-stream", schema: streamEvent },
        401: { description: "no such ticket, or it was used or expired", schema: errorBody },
        404: { description: "no such room", schema: errorBody },
      },
      async handle({ query, res }) {
        if (!(await tickets.redeem(query.ticket))) throw new HttpError(401, "ticket.invalid", "the ticket is unknown, used or expired; get a new one");
        if (query.view === "room" && query.room !== undefined) await views.get(query.room);
        await new AdminStream(core, views, res, query, log).start();
        return null;
      },
    }),
  ];
}
