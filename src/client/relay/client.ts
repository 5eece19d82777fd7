// The relay client. relay answers accepted requests with nothing, so each
// request is followed by a ping: its pong says everything before it was
// accepted, and an error before the pong says which request was refused.
// relay keeps no history: after a reconnect the rooms are entered again and
// the app is told that nothing can be replayed, and — from the per-room
// message ids — exactly which messages it missed.

import { Connection, type ConnectionOptions, type Link, type LostInfo, type StateChange } from "../common/connection.js";
import { closedError, SwitchboardError } from "../common/errors.js";
import { Emitter } from "../common/events.js";
import { postJson, type HttpOptions } from "../common/http.js";
import { parseObject } from "../common/json.js";
import { Pending, rejectInFlight, request, requestOn } from "../common/requests.js";
import { addressOf, socketUrl, type ServerAddress } from "../common/urls.js";
import type { ClientFrame, ErrorFrame, InviteFrame, KickFrame, MessageFrame, PresenceFrame, ReadFrame, SessionKey } from "./frames.js";

export type RelayCredentials = { name: string; password: string } | { accessToken: string } | { anonymous: true };

export interface RelayOptions extends ConnectionOptions, HttpOptions {
  /** The server: `localhost:4040`, `http://host:4040`; or a function asked before every attempt. */
  url: ServerAddress;
  /** A session key from `POST /api/sessions`… */
  key?: string;
  /** …or what to make one with (once; it is kept for every reconnect). */
  credentials?: RelayCredentials;
}

export interface RelayEvents {
  state: StateChange;
  message: MessageFrame;
  read: ReadFrame;
  /** Another user entered or left a room this client is in. */
  presence: PresenceFrame;
  invite: InviteFrame;
  /** This user was kicked (or banned, `permanent`) from a room; the client has left it. */
  kick: KickFrame;
  /** Message ids `from`…`to` of `room` never reached this client (it was disconnected): relay cannot send them again. */
  gap: { room: string; from: number; to: number };
  /** After a reconnect: the room was entered again, but what was said meanwhile is gone (relay keeps nothing). */
  "recovery-failed": { room: string; error: SwitchboardError };
  error: SwitchboardError;
}

const barrier = (time: number) => `pong:${time}`;

/** `POST /api/sessions`: a session key for the relay dialect. */
export function createSessionKey(server: string, credentials: RelayCredentials, opts?: HttpOptions): Promise<SessionKey> {
  return postJson<SessionKey>(server, "/api/sessions", credentials, opts);
}

export class RelayClient extends Emitter<RelayEvents> {
  /** The user this client is (known when the client made its own key). */
  userId: string | null = null;
  key: string | null;
  private readonly conn: Connection;
  private readonly pending = new Pending<Record<string, unknown>>();
  private readonly rooms = new Set<string>();
  /** The last message id seen per room, to notice the ones that never came. */
  private readonly lastIds = new Map<string, number>();
  private readonly timeoutMs: number;
  private pings = 0;

  constructor(private readonly opts: RelayOptions) {
    super();
    this.key = opts.key ?? null;
    this.timeoutMs = opts.requestTimeoutMs ?? 15_000;
    this.conn = new Connection(() => this.socketUrl(), opts, this.session(), (change) => this.emit("state", change));
  }

  get state(): StateChange["state"] {
    return this.conn.state;
  }

  async connect(): Promise<void> {
    await this.conn.start();
  }

  enteredRooms(): string[] {
    return [...this.rooms];
  }

  async enter(room: string): Promise<void> {
    await this.req({ type: "enter", room_id: room });
    this.rooms.add(room.toLowerCase());
  }

  async exit(room: string): Promise<void> {
    this.rooms.delete(room.toLowerCase());
    this.lastIds.delete(room.toLowerCase());
    await this.req({ type: "exit", room_id: room });
  }

  /** Resolves once the server accepted the message; it arrives (to everyone, this client too) as a `message` event. */
  async send(room: string, content: string): Promise<void> {
    await this.req((key) => ({ type: "message", key, content, room_id: room }));
  }

  async markRead(room: string, messageId: number): Promise<void> {
    await this.req({ type: "read", message_id: messageId, room_id: room });
  }

  async invite(room: string, userId: string): Promise<void> {
    await this.req((key) => ({ type: "invite", key, user_id: userId, room_id: room }));
  }

  async kick(room: string, userId: string, opts: { message?: string; permanent?: boolean } = {}): Promise<void> {
    await this.req((key) => ({ type: "kick", key, user_id: userId, room_id: room, message: opts.message ?? null, permanent: opts.permanent ?? false }));
  }

  /** Administrators only: a closed room admits administrators and invited users. */
  async closeRoom(room: string): Promise<void> {
    await this.req((key) => ({ type: "close", key, room_id: room }));
  }

  async openRoom(room: string): Promise<void> {
    await this.req((key) => ({ type: "open", key, room_id: room }));
  }

  reconnectNow(): void {
    this.conn.reconnectNow();
  }

  close(): void {
    this.conn.close(1000, "");
  }

  // ---- the wire ----

  private async socketUrl(): Promise<string> {
    const server = await addressOf(this.opts.url);
    if (!this.key) {
      if (!this.opts.credentials) throw new SwitchboardError("key.missing", "a relay client needs a key or credentials", { fatal: true });
      const made = await createSessionKey(server, this.opts.credentials, this.opts);
      this.key = made.key;
      this.userId = made.user_id;
    }
    return socketUrl(server, "/relay", { key: this.key });
  }

  /**
   * Sends the request and a ping behind it: the pong means accepted, an error
   * before it means refused. Requests that carry the key wait for it (it is
   * made on the first connection when credentials were given).
   */
  private async req(make: ClientFrame | ((key: string) => ClientFrame)): Promise<void> {
    if (this.conn.state === "closed") throw closedError();
    if (typeof make === "function" && !this.key) await this.conn.start();
    const frame = typeof make === "function" ? make(this.key!) : make;
    const time = ++this.pings;
    const done = request(this.conn, this.pending, barrier(time), JSON.stringify(frame), this.timeoutMs, frame.type);
    this.conn.send(JSON.stringify({ type: "ping", time }));
    await done;
  }

  private session() {
    return {
      handshake: (link: Link, reconnect: boolean) => this.handshake(link, reconnect),
      frame: (text: string) => this.onFrame(text),
      lost: (info: LostInfo) => this.onLost(info),
      closed: (err: SwitchboardError) => this.pending.rejectAll(() => err),
      ping: (link: Link) => link.send(JSON.stringify({ type: "ping", time: ++this.pings })),
    };
  }

  /** Enters every room again, each confirmed by its pong; a refused one is dropped and reported. */
  private async handshake(link: Link, reconnect: boolean): Promise<void> {
    if (!reconnect) return;
    const rooms = [...this.rooms];
    const entered = rooms.map((room) => {
      const time = ++this.pings;
      const accepted = requestOn(link, this.pending, barrier(time), JSON.stringify({ type: "enter", room_id: room }), this.timeoutMs, "enter");
      link.send(JSON.stringify({ type: "ping", time }));
      return accepted.then(
        () => this.emit("recovery-failed", { room, error: new SwitchboardError("relay.no-history", "relay keeps no history: messages sent while disconnected are not replayed") }),
        (err: SwitchboardError) => {
          if (err.code === "connection.lost" || err.code === "request.timeout") throw err;
          this.rooms.delete(room);
          this.emit("recovery-failed", { room, error: err });
        },
      );
    });
    await Promise.all(entered);
  }

  private onLost(info: LostInfo): SwitchboardError | null {
    rejectInFlight(this.pending);
    if (info.code === 4401) return new SwitchboardError("key.invalid", `the session key ended: ${info.reason}`, { status: 401, fatal: true });
    return null;
  }

  private onFrame(text: string): void {
    const f = parseObject(text);
    if (!f) return;
    switch (f.type) {
      case "ping":
        // Straight out, ahead of queued requests: a late pong costs the socket.
        return this.conn.sendDirect(JSON.stringify({ type: "pong", time: f.time }));
      case "pong":
        this.pending.resolve(barrier(f.time as number), f);
        return;
      case "error": {
        const e = f as unknown as ErrorFrame;
        const err = new SwitchboardError(e.code, e.message, { details: { ref: e.ref } });
        // Answers come in request order and accepted requests have none: the oldest waiting request is the refused one.
        const oldest = this.pending.oldestKey();
        if (oldest && e.ref !== "pong") this.pending.reject(oldest, err);
        else this.emit("error", err);
        return;
      }
      case "message":
        return this.onMessage(f as unknown as MessageFrame);
      case "read":
        return this.emit("read", f as unknown as ReadFrame);
      case "enter":
      case "exit":
        return this.emit("presence", f as unknown as PresenceFrame);
      case "invite":
        return this.emit("invite", f as unknown as InviteFrame);
      case "kick": {
        const k = f as unknown as KickFrame;
        this.rooms.delete(k.room_id);
        this.lastIds.delete(k.room_id);
        return this.emit("kick", k);
      }
    }
  }

  private onMessage(m: MessageFrame): void {
    const last = this.lastIds.get(m.room_id);
    if (last !== undefined && m.message_id <= last) return;
    if (last !== undefined && m.message_id > last + 1) this.emit("gap", { room: m.room_id, from: last + 1, to: m.message_id - 1 });
    this.lastIds.set(m.room_id, m.message_id);
    this.emit("message", m);
  }
}
