// The instalk client: connect (as a guest, a chosen name or an account),
// join rooms, chat, and after every reconnect re-join and `sync` so each
// stored event reaches the app once and in order.

import { Connection, type ConnectionOptions, type Link, type LostInfo, type StateChange } from "../common/connection.js";
import { closedError, SwitchboardError } from "../common/errors.js";
import { Emitter } from "../common/events.js";
import { parseObject, type Json } from "../common/json.js";
import { Pending, rejectInFlight, request } from "../common/requests.js";
import { addressOf, socketUrl, type ServerAddress } from "../common/urls.js";
import { isStored, type ClientFrame, type MsgEvent, type RoomWelcome, type StoredEvent, type User } from "./frames.js";
import { RoomLog, type SyncPage } from "./room-log.js";

export interface InstalkOptions extends ConnectionOptions {
  /** The server: `localhost:4040`, `http://host:4040`, or a whole `ws://host:4040/websocket`; or a function asked before every attempt. */
  url: ServerAddress;
  /** An access token (or a function asked before every connection): the user is that account. */
  token?: string | (() => string | undefined | Promise<string | undefined>);
  /** A name to take after every (re)connect; `identify()` changes it. */
  name?: string;
  mail?: string;
}

export interface RoomEvent {
  room: string;
  event: StoredEvent;
  /** True when it arrived through recovery (a re-join's history or `sync`), not live. */
  recovered: boolean;
}

export type PresenceChange =
  | { room: string; change: "joined" | "left"; user: User }
  | { room: string; change: "disconnect"; sid: string; user?: User };

export interface InstalkEvents {
  state: StateChange;
  /** The user this connection is, after every (re)connect and every identify. */
  welcome: User;
  /** Every stored event of a joined room after its `join()` history: messages, topics, renames. Once each, in nr order. */
  event: RoomEvent;
  /** The `msg` events among them. */
  message: RoomEvent & { event: MsgEvent };
  /** The room's member list changed (joined, left, disconnected, renamed, re-joined). */
  members: { room: string; members: User[] };
  presence: PresenceChange;
  /** `bt` (began typing), `st` (stopped typing), `away`: from other members, never stored. */
  signal: { room: string; sid: string; signal: "bt" | "st" | "away" };
  topic: { room: string; topic: string; sid?: string };
  /** Taken out of the room by an administrator (relay kick or ban). */
  kicked: { room: string; reason: string };
  /** After a reconnect, the room is re-joined and every event missed meanwhile has been delivered. */
  recovered: { room: string; count: number };
  /** A room could not be re-joined after a reconnect (banned, closed…): it is dropped, and what it missed with it. */
  "recovery-failed": { room: string; error: SwitchboardError };
  /** Errors that belong to no request: a refused identify after a reconnect, a revoked token, events the store lost. */
  error: SwitchboardError;
}

interface RoomState {
  log: RoomLog;
  members: Map<string, User>;
  topic: string;
  /** Re-join in progress on the current socket: settled by its welcome or failure. */
  rejoin: { resolve: () => void } | null;
}

interface Identity {
  name: string;
  mail?: string;
  token?: string;
}

type Reply = Record<string, unknown>;
const key = (room: string, op: string) => `${room}\u0000${op}`;

export class InstalkClient extends Emitter<InstalkEvents> {
  /** The current user (null before the first welcome). */
  user: User | null = null;
  private readonly conn: Connection;
  private readonly pending = new Pending<Reply>();
  private readonly rooms = new Map<string, RoomState>();
  /** Every id this client has had: a guest gets a new one on each connection. */
  private readonly ownIds = new Set<string>();
  private identity: Identity | null;
  private readonly timeoutMs: number;
  private hs: { welcome?: (u: User) => void; identified?: (f: Reply) => void; fail?: (e: SwitchboardError) => void } = {};
  private beats = 0;
  private lastError: SwitchboardError | null = null;

  constructor(private readonly opts: InstalkOptions) {
    super();
    this.identity = opts.name ? { name: opts.name, mail: opts.mail } : null;
    this.timeoutMs = opts.requestTimeoutMs ?? 15_000;
    this.conn = new Connection(() => this.socketUrl(), opts, this.session(), (change) => this.emit("state", change));
  }

  get state(): StateChange["state"] {
    return this.conn.state;
  }

  /** Connects (retrying while the server cannot be reached) and resolves with the user. */
  async connect(): Promise<User> {
    await this.conn.start();
    return this.user!;
  }

  /** Whether `sid` is this client's user, under any id it has had. */
  isOwn(sid: string): boolean {
    return this.ownIds.has(sid);
  }

  joinedRooms(): string[] {
    return [...this.rooms.keys()];
  }

  members(room: string): User[] {
    return [...(this.rooms.get(room)?.members.values() ?? [])];
  }

  topic(room: string): string {
    return this.rooms.get(room)?.topic ?? "";
  }

  /** Takes a name (free, or an account's with its token); kept across reconnects. */
  async identify(name: string, opts: { mail?: string; token?: string } = {}): Promise<User> {
    const frame: ClientFrame = { identity: name, ...opts };
    const reply = await this.req("", "identify", frame);
    if (reply.identified !== true) throw refusal(reply, "identify");
    this.identity = { name, ...opts };
    return this.setUser(reply.user as User);
  }

  /** Joins a room; resolves with its members, recent history and topic. Later events arrive as `event`s. */
  async join(room: string): Promise<RoomWelcome> {
    const reply = await this.req(room, "join", { r: room, o: "join" });
    return reply.data as RoomWelcome;
  }

  async leave(room: string): Promise<void> {
    const pending = this.req(room, "leave", { r: room, o: "leave" });
    // Gone from the app's point of view now: a reconnect before the bye must not re-join it.
    this.rooms.delete(room);
    // After such a reconnect the new socket was never in the room: that is left too.
    await pending.catch((err: SwitchboardError) => {
      if (err.code !== "room.not-joined") throw err;
    });
  }

  /** Sends a message; resolves with it as stored (with its nr) once the server echoed it. */
  async send(room: string, body: string, extra: { mentions?: Json[]; attachments?: Json[] } = {}): Promise<MsgEvent> {
    const reply = await this.req(room, "msg", { r: room, o: "msg", data: { body, ...extra } }, body);
    return reply as unknown as MsgEvent;
  }

  async setTopic(room: string, topic: string): Promise<StoredEvent> {
    return (await this.req(room, "set-room-topic", { r: room, o: "set-room-topic", data: { topic } })) as unknown as StoredEvent;
  }

  /** Began (`true`) or stopped typing. Not queued: dropped while disconnected. */
  typing(room: string, typing: boolean): void {
    this.conn.sendNow(JSON.stringify({ r: room, o: typing ? "bt" : "st" }));
  }

  away(room: string): void {
    this.conn.sendNow(JSON.stringify({ r: room, o: "away" }));
  }

  /** The 10 stored events before `beforeNr`, oldest first (`[]` at the start of history). */
  async load(room: string, beforeNr: number): Promise<StoredEvent[]> {
    const reply = await this.req(room, "load", { r: room, o: "load", data: { "last-msg-nr": beforeNr } });
    return (reply.data as { messages: StoredEvent[] }).messages;
  }

  /** Up to 50 stored events before `before`, oldest first. */
  async fetch(room: string, before: number): Promise<StoredEvent[]> {
    const reply = await this.req(room, "fetch", { r: room, o: "fetch", data: { before } });
    return (reply.data as { messages: StoredEvent[] }).messages;
  }

  /** Stored events from `from` on, one page (at most 500; `more` when there are others). */
  async sync(room: string, from: number): Promise<SyncPage> {
    return (await this.req(room, "sync", { r: room, o: "sync", data: { from } })).data as SyncPage;
  }

  /** Drops the socket as a network cut would; the client reconnects and recovers. */
  reconnectNow(): void {
    this.conn.reconnectNow();
  }

  close(): void {
    this.conn.close(1000, "");
  }

  // ---- the wire ----

  private async socketUrl(): Promise<string> {
    const token = typeof this.opts.token === "function" ? await this.opts.token() : this.opts.token;
    return socketUrl(await addressOf(this.opts.url), "/websocket", { token });
  }

  private req(room: string, op: string, frame: ClientFrame, meta?: unknown): Promise<Reply> {
    if (this.conn.state === "closed") return Promise.reject(closedError());
    return request(this.conn, this.pending, key(room, op), JSON.stringify(frame), this.timeoutMs, `${op}${room ? ` ${room}` : ""}`, meta);
  }

  private session() {
    return {
      handshake: (link: Link, reconnect: boolean) => this.handshake(link, reconnect),
      frame: (text: string) => this.onFrame(text),
      lost: (info: LostInfo) => this.onLost(info),
      closed: (err: SwitchboardError) => this.onClosed(err),
      ping: (link: Link) => link.send(JSON.stringify({ "heart-beat": ++this.beats })),
    };
  }

  /** init → welcome → identify → re-join every room; recovery (sync) follows on its own. */
  private async handshake(link: Link, reconnect: boolean): Promise<void> {
    const failed = new Promise<never>((_, reject) => (this.hs.fail = reject));
    failed.catch(() => undefined);
    const step = <T>(p: Promise<T>) => Promise.race([p, failed]);
    const welcome = new Promise<User>((resolve) => (this.hs.welcome = resolve));
    link.send(JSON.stringify({ v: "0.1" }));
    this.setUser(await step(welcome));
    if (this.identity) {
      const identified = new Promise<Reply>((resolve) => (this.hs.identified = resolve));
      link.send(JSON.stringify({ identity: this.identity.name, mail: this.identity.mail, token: this.identity.token }));
      const reply = await step(identified);
      if (reply.identified === true) this.setUser(reply.user as User);
      else this.emit("error", refusal(reply, "identify"));
    }
    if (reconnect) {
      const rejoins = [...this.rooms.entries()].map(
        ([room, state]) =>
          new Promise<void>((resolve) => {
            state.rejoin = { resolve };
            link.send(JSON.stringify({ r: room, o: "join" }));
          }),
      );
      await step(Promise.all(rejoins));
    }
    this.hs = {};
  }

  private onLost(info: LostInfo): SwitchboardError | null {
    this.hs.fail?.(new SwitchboardError("connection.lost", "the connection closed during the handshake"));
    this.hs = {};
    for (const state of this.rooms.values()) {
      state.log.reset();
      state.rejoin = null;
    }
    rejectInFlight(this.pending);
    const err = this.lastError;
    this.lastError = null;
    // A token the server ended stays ended: only a token function can bring a new one.
    if (info.code === 1008 && err && typeof this.opts.token !== "function") return new SwitchboardError(err.code, err.message, { status: 401, fatal: true });
    if (err?.fatal) return err;
    return null;
  }

  private onClosed(err: SwitchboardError): void {
    this.hs.fail?.(err);
    this.pending.rejectAll(() => err);
  }

  private onFrame(text: string): void {
    const f = parseObject(text);
    if (!f) return;
    if ("welcome" in f) return this.hs.welcome?.(f.user as User);
    if ("identified" in f) {
      if (this.hs.identified) return this.hs.identified(f);
      this.pending.resolve(key("", "identify"), f);
      return;
    }
    if ("heart-beat-ack" in f || "timeout" in f) return;
    if (f.o === "connect-failed") {
      const reason = f.reason as { code: string };
      const err = new SwitchboardError(reason.code, `connect failed: ${reason.code}`, { fatal: true, details: f.reason });
      this.lastError = err;
      this.hs.fail?.(err);
      return;
    }
    if ("error" in f) return this.onError(f);
    const room = typeof f.r === "string" ? f.r : "";
    if (isStored(f)) return this.onStored(room, f);
    switch (f.o) {
      case "room-welcome":
        return this.onWelcome(room, f.data as RoomWelcome);
      case "join-failed":
        return this.onJoinFailed(room, f);
      case "room-bye":
        return this.onBye(room, f);
      case "joined":
      case "left":
        return this.onPresence(room, f.o, (f.data as { user: User }).user);
      case "disconnect":
        return this.onPresence(room, "disconnect", undefined, f.sid as string);
      case "bt":
      case "st":
      case "away":
        return this.emit("signal", { room, sid: f.sid as string, signal: f.o });
      case "load":
      case "fetch":
      case "sync":
        this.pending.resolve(key(room, f.o), f);
        return;
    }
  }

  private onError(f: Reply): void {
    const body = f.error as { code: number; msg: string; errors?: unknown };
    const err = new SwitchboardError(body.msg, body.msg, { status: body.code, details: body.errors });
    if (typeof f.o === "string") {
      const room = typeof f.r === "string" ? f.r : "";
      if (this.pending.reject(key(room, f.o), err)) return;
    }
    if (body.msg === "token.revoked" || body.msg === "token.expired") {
      this.lastError = err;
      return this.emit("error", err);
    }
    // Refusals that name no request (429, 413, json.malformed) answer the oldest one: replies come in order.
    const oldest = typeof f.o === "string" ? undefined : this.pending.oldestKey();
    if (oldest) this.pending.reject(oldest, err);
    else this.emit("error", err);
  }

  private onWelcome(room: string, data: RoomWelcome): void {
    let state = this.rooms.get(room);
    const first = !state;
    if (!state) {
      state = this.newRoom(room);
      this.rooms.set(room, state);
    }
    state.members = new Map(data.members.map((u) => [u.id, u]));
    const topicChanged = state.topic !== data.topic;
    state.topic = data.topic;
    if (state.rejoin) {
      const done = state.rejoin;
      state.rejoin = null;
      state.log.rejoined(data.messages);
      done.resolve();
    } else {
      if (first) state.log.baseline(data.messages);
      else state.log.rejoined(data.messages);
      this.pending.resolve(key(room, "join"), { data });
    }
    this.emit("members", { room, members: this.members(room) });
    if (topicChanged && !first) this.emit("topic", { room, topic: data.topic });
  }

  private onJoinFailed(room: string, f: Reply): void {
    const code = (f.reason as { code: string }).code;
    const err = new SwitchboardError(code, `join ${room}: ${code}`, { details: f.reason });
    const state = this.rooms.get(room);
    if (state?.rejoin) {
      const done = state.rejoin;
      this.rooms.delete(room);
      this.emit("recovery-failed", { room, error: err });
      done.resolve();
      return;
    }
    this.pending.reject(key(room, "join"), err);
  }

  private onBye(room: string, f: Reply): void {
    if (this.pending.resolve(key(room, "leave"), f)) return;
    const reason = (f.reason as { code?: string } | undefined)?.code ?? "room.kicked";
    this.rooms.delete(room);
    this.emit("kicked", { room, reason });
  }

  private onStored(room: string, event: StoredEvent): void {
    // The echo of our own message is also its reply.
    if (event.o === "msg" && this.ownIds.has(event.data.sid) && this.pending.peek(key(room, "msg")) === event.data.body) this.pending.resolve(key(room, "msg"), event as unknown as Reply);
    if (event.o === "set-room-topic" && this.ownIds.has(event.data.sid)) this.pending.resolve(key(room, "set-room-topic"), event as unknown as Reply);
    this.rooms.get(room)?.log.accept(event);
  }

  private onPresence(room: string, change: "joined" | "left" | "disconnect", user?: User, sid?: string): void {
    const state = this.rooms.get(room);
    if (!state) return;
    const id = user?.id ?? sid!;
    const known = state.members.get(id);
    if (change === "joined") state.members.set(id, user!);
    else state.members.delete(id);
    if (change === "disconnect") this.emit("presence", { room, change, sid: id, user: known });
    else this.emit("presence", { room, change, user: user! });
    this.emit("members", { room, members: this.members(room) });
  }

  private newRoom(room: string): RoomState {
    const state: RoomState = {
      members: new Map(),
      topic: "",
      rejoin: null,
      log: new RoomLog({
        deliver: (event, recovered) => this.deliver(room, state, event, recovered),
        sync: async (from) => (await this.sync(room, from)),
        gap: (from, to) => this.emit("error", new SwitchboardError("history.gap", `${room}: events ${from}-${to} are not in the store`)),
        caughtUp: (count) => this.emit("recovered", { room, count }),
      }),
    };
    return state;
  }

  private deliver(room: string, state: RoomState, event: StoredEvent, recovered: boolean): void {
    if (event.o === "set-room-topic") {
      state.topic = event.data.topic;
      this.emit("topic", { room, topic: event.data.topic, sid: event.data.sid });
    }
    if (event.o === "set-user-info" && state.members.has(event.data.sid)) {
      state.members.set(event.data.sid, event.data.user);
      this.emit("members", { room, members: this.members(room) });
    }
    this.emit("event", { room, event, recovered });
    if (event.o === "msg") this.emit("message", { room, event, recovered });
  }

  private setUser(user: User): User {
    this.user = user;
    this.ownIds.add(user.id);
    this.emit("welcome", user);
    return user;
  }
}

function refusal(reply: Reply, what: string): SwitchboardError {
  const code = (reply.reason as { code?: string } | undefined)?.code ?? "identify.refused";
  return new SwitchboardError(code, `${what}: ${code}`, { details: reply.reason });
}
