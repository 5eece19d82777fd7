// The really client: tagged requests as promises, object subscriptions and
// live reads that survive reconnects. After a reconnect it initializes
// again, re-subscribes, checks each object's revision (a `snapshot` event
// when it moved on meanwhile) and catches every live read up.

import { Connection, type ConnectionOptions, type Link, type LostInfo, type StateChange } from "../common/connection.js";
import { closedError, SwitchboardError } from "../common/errors.js";
import { Emitter } from "../common/events.js";
import { parseObject, type JsonObject } from "../common/json.js";
import { Pending, rejectInFlight, request, requestOn } from "../common/requests.js";
import { addressOf, socketUrl, type ServerAddress } from "../common/urls.js";
import { CATCH_UP_PAGES, collectionOf, Feed, normalCollection } from "./feeds.js";
import type { ClientRequest, Command, FieldChange, InitializedBody, MessageItem, ObjectSnapshot, OpBy, ReadOptions, ReadPage, Reply, UpdateOp } from "./frames.js";

export interface ReallyOptions extends ConnectionOptions {
  /** The server: `localhost:4040`, `http://host:4040`, or a whole `ws://host:4040/v0.1/socket`; or a function asked before every attempt. */
  url: ServerAddress;
  /** An access token, or a function asked before every connection (for a fresh one). */
  token: string | (() => string | Promise<string>);
}

export interface ReallyEvents {
  state: StateChange;
  initialized: InitializedBody;
  /** A new message in a room watched with `watchRoom`; once each, in order, missed ones after a reconnect included. */
  message: { room: string; message: MessageItem; recovered: boolean };
  /** A new object in a collection watched with `watch`. */
  created: { r: string; collection: string; body: ObjectSnapshot; opBy?: OpBy; recovered: boolean };
  /** A subscribed object changed: apply `changes` (see `applyUpdate`) to the copy at `rev - 1`. */
  updated: { r: string; rev: number; changes: Record<string, FieldChange>; opBy: OpBy };
  deleted: { r: string; rev: number; opBy?: OpBy };
  /** A subscribed object as it is now, when updates were missed (after a reconnect): replace the copy. */
  snapshot: { r: string; rev: number; body: ObjectSnapshot };
  /** A reconnect finished recovering: re-initialized, re-subscribed, every watch caught up. */
  recovered: { subscriptions: number; watches: number };
  /** What a reconnect could not bring back: a watch that missed more than it can read, a refused subscription. */
  "recovery-failed": { r: string; error: SwitchboardError };
  /** The token was revoked or expired; with a token function the client connects again with a new one. */
  "token-expired": Record<string, never>;
  error: SwitchboardError;
}

interface Subscription {
  rev: number;
  /** Updates were missed: drop pushes until the snapshot has been read. */
  stale: boolean;
}

type Fields = Omit<ClientRequest, "tag" | "cmd">;

export class ReallyClient extends Emitter<ReallyEvents> {
  /** Who the server says this connection is. */
  user: InitializedBody["user"] | null = null;
  private readonly conn: Connection;
  private readonly pending = new Pending<Reply>();
  private readonly subs = new Map<string, Subscription>();
  private readonly feeds = new Map<string, Feed>();
  private readonly timeoutMs: number;
  private tags = 0;
  private tokenEnded = false;

  constructor(private readonly opts: ReallyOptions) {
    super();
    this.timeoutMs = opts.requestTimeoutMs ?? 15_000;
    this.conn = new Connection(async () => socketUrl(await addressOf(opts.url), "/v0.1/socket"), opts, this.session(), (change) => this.emit("state", change));
  }

  get state(): StateChange["state"] {
    return this.conn.state;
  }

  async connect(): Promise<InitializedBody["user"]> {
    await this.conn.start();
    return this.user!;
  }

  /** Any command; resolves with the reply, rejects with the server's error code (`object.gone`, …). */
  async request<B = JsonObject>(cmd: Command, fields: Fields = {}, timeoutMs = this.timeoutMs): Promise<Reply<B>> {
    if (this.conn.state === "closed") throw closedError();
    const tag = ++this.tags;
    const reply = await request(this.conn, this.pending, String(tag), JSON.stringify({ tag, cmd, ...fields }), timeoutMs, `${cmd} ${fields.r ?? ""}`);
    return checked(reply) as Reply<B>;
  }

  async ping(): Promise<void> {
    await this.request("ping");
  }

  async get(r: string, fields?: string[]): Promise<ObjectSnapshot> {
    return (await this.request<ObjectSnapshot>("get", { r, cmdOpts: fields ? { fields } : undefined })).body!;
  }

  async read<T = ObjectSnapshot>(r: string, opts: ReadOptions = {}): Promise<ReadPage<T>> {
    return (await this.request<ReadPage<T>>("read", { r, cmdOpts: opts })).body!;
  }

  async create(r: string, body: JsonObject): Promise<ObjectSnapshot> {
    return (await this.request<ObjectSnapshot>("create", { r, body })).body!;
  }

  /** Applies `ops` as one transaction at revision `rev`; resolves with the new revision (409 `object.revision.outdated` when stale). */
  async update(r: string, rev: number, ops: UpdateOp[]): Promise<number> {
    return (await this.request("update", { r, rev, body: { ops } as unknown as JsonObject })).rev!;
  }

  async delete(r: string): Promise<void> {
    await this.request("delete", { r });
  }

  /** Sends a message to a room (stored, and seen by every dialect's members). */
  async postMessage(room: string, body: string): Promise<MessageItem> {
    return (await this.request<MessageItem>("create", { r: `/rooms/${room}/messages/`, body: { body } })).body!;
  }

  /**
   * Follows an object: resolves with it as it is now; then `updated` and
   * `deleted` events, and a `snapshot` whenever updates were missed.
   */
  async subscribe(r: string): Promise<ObjectSnapshot> {
    const reply = await this.request<{ subscriptions: string[]; refused?: Record<string, string> }>("subscribe", { body: { subscriptions: [{ r }] } });
    const refused = reply.body?.refused?.[r];
    if (refused) throw new SwitchboardError(refused, `subscribe ${r}: ${refused}`);
    // Pushes that arrive before the snapshot below are older than it, or follow it.
    this.subs.set(r, { rev: 0, stale: true });
    const snapshot = await this.get(r).catch((err: unknown) => {
      this.subs.delete(r);
      throw err;
    });
    this.subs.set(r, { rev: snapshot._rev, stale: false });
    return snapshot;
  }

  async unsubscribe(r: string): Promise<void> {
    this.subs.delete(r);
    await this.request("unsubscribe", { body: { subscriptions: [r] } as unknown as JsonObject });
  }

  /** Watches a room's messages: resolves with the newest `limit`, oldest first; then a `message` event for each new one. */
  async watchRoom(room: string, limit = 20): Promise<MessageItem[]> {
    const items = await this.watch(`/rooms/${room}/messages/`, { limit });
    return items as unknown as MessageItem[];
  }

  /** Watches a collection (read with `subscribe:true`): resolves with the newest `limit` items, oldest first; then `created` events. */
  async watch(collection: string, opts: { limit?: number; query?: ReadOptions["query"] } = {}): Promise<ObjectSnapshot[]> {
    const r = normalCollection(collection);
    const feed = new Feed(r, opts.query);
    this.feeds.set(r, feed);
    try {
      const page = await this.read(r, { limit: opts.limit ?? 20, subscribe: true, query: opts.query });
      const items = page.items.map((i) => i.body);
      feed.know(items);
      return items.reverse();
    } catch (err) {
      this.feeds.delete(r);
      throw err;
    }
  }

  async unwatch(collection: string): Promise<void> {
    const r = normalCollection(collection);
    this.feeds.delete(r);
    await this.request("unsubscribe", { body: { subscriptions: [r] } as unknown as JsonObject });
  }

  reconnectNow(): void {
    this.conn.reconnectNow();
  }

  close(): void {
    this.conn.close(1000, "");
  }

  // ---- the wire ----

  private session() {
    return {
      handshake: (link: Link, reconnect: boolean) => this.handshake(link, reconnect),
      frame: (text: string) => this.onFrame(text),
      lost: (info: LostInfo) => this.onLost(info),
      closed: (err: SwitchboardError) => this.pending.rejectAll(() => err),
      ping: (link: Link) => link.send(JSON.stringify({ tag: ++this.tags, cmd: "ping" })),
    };
  }

  /** A request on this socket only (handshake and recovery). */
  private async linkRequest<B = JsonObject>(link: Link, cmd: Command, fields: Fields = {}): Promise<Reply<B>> {
    const tag = ++this.tags;
    return checked(await requestOn(link, this.pending, String(tag), JSON.stringify({ tag, cmd, ...fields }), this.timeoutMs, cmd)) as Reply<B>;
  }

  private async handshake(link: Link, reconnect: boolean): Promise<void> {
    const token = typeof this.opts.token === "function" ? await this.opts.token() : this.opts.token;
    const init = await this.linkRequest<InitializedBody>(link, "initialize", { accessToken: token }).catch((err: SwitchboardError) => {
      // A refused token is the end unless a function can give a new one.
      throw err.info.status === 401 && typeof this.opts.token !== "function" ? new SwitchboardError(err.code, err.message, { ...err.info, fatal: true }) : err;
    });
    this.tokenEnded = false;
    this.user = init.body!.user;
    this.emit("initialized", init.body!);
    if (!reconnect) return;
    await this.resubscribe(link);
    for (const feed of this.feeds.values()) await this.catchUp(link, feed);
    this.emit("recovered", { subscriptions: this.subs.size, watches: this.feeds.size });
  }

  private async resubscribe(link: Link): Promise<void> {
    const rs = [...this.subs.keys()];
    if (rs.length === 0) return;
    for (const sub of this.subs.values()) sub.stale = true;
    const reply = await this.linkRequest<{ refused?: Record<string, string> }>(link, "subscribe", { body: { subscriptions: rs.map((r) => ({ r })) } as unknown as JsonObject });
    for (const [r, code] of Object.entries(reply.body?.refused ?? {})) this.dropSub(r, code);
    await Promise.all(rs.filter((r) => this.subs.has(r)).map((r) => this.refresh(link, r)));
  }

  /** Reads a subscribed object again: a `snapshot` if it moved on, `deleted` if it is gone. */
  private async refresh(link: Link, r: string): Promise<void> {
    const sub = this.subs.get(r);
    if (!sub) return;
    try {
      const got = await this.linkRequest<ObjectSnapshot>(link, "get", { r });
      const body = got.body!;
      if (body._rev > sub.rev) this.emit("snapshot", { r, rev: body._rev, body });
      sub.rev = Math.max(sub.rev, body._rev);
      sub.stale = false;
    } catch (err) {
      const e = err as SwitchboardError;
      if (e.code === "connection.lost" || e.code === "request.timeout") throw e;
      this.dropSub(r, e.code);
    }
  }

  private dropSub(r: string, code: string): void {
    this.subs.delete(r);
    if (code === "object.gone" || code === "object.missing") this.emit("deleted", { r, rev: 0 });
    else this.emit("recovery-failed", { r, error: new SwitchboardError(code, `subscription to ${r} could not be restored: ${code}`) });
  }

  private async catchUp(link: Link, feed: Feed): Promise<void> {
    feed.beginCatchUp();
    try {
      const missed: ObjectSnapshot[] = [];
      let token: string | undefined;
      let found = false;
      for (let i = 0; i < CATCH_UP_PAGES && !found; i++) {
        const opts: ReadOptions = token ? { limit: 200, paginationToken: token } : { limit: 200, subscribe: true, query: feed.query };
        const page = (await this.linkRequest<ReadPage>(link, "read", { r: feed.r, cmdOpts: opts })).body!;
        const got = feed.page(page);
        missed.push(...got.fresh);
        found = got.found;
        token = page.tokens.nextToken;
        if (!token) found = true;
      }
      if (!found) this.emit("recovery-failed", { r: feed.r, error: new SwitchboardError("recovery.incomplete", `more than ${CATCH_UP_PAGES * 200} items were missed in ${feed.r}; the oldest are not replayed`) });
      for (const item of feed.endCatchUp(missed.reverse())) this.deliverCreated(feed.r, item, true);
    } catch (err) {
      feed.abortCatchUp();
      throw err;
    }
  }

  private onLost(info: LostInfo): SwitchboardError | null {
    for (const feed of this.feeds.values()) feed.abortCatchUp();
    rejectInFlight(this.pending);
    if (this.tokenEnded && typeof this.opts.token !== "function") return new SwitchboardError("token.expired", "the access token was revoked or expired", { fatal: true, status: info.code });
    return null;
  }

  private onFrame(text: string): void {
    const f = parseObject(text);
    if (!f) return;
    if (typeof f.tag === "number") {
      this.pending.resolve(String(f.tag), f as unknown as Reply);
      return;
    }
    switch (f.evt) {
      case "created":
        return this.onCreated(f.body as ObjectSnapshot, (f.meta as { opBy?: OpBy } | undefined)?.opBy);
      case "updated":
        return this.onUpdated(f.r as string, f.rev as number, f.body as Record<string, FieldChange>, (f.meta as { opBy: OpBy }).opBy);
      case "deleted":
        if (!this.subs.delete(f.r as string)) return;
        return this.emit("deleted", { r: f.r as string, rev: f.rev as number, opBy: (f.meta as { opBy?: OpBy } | undefined)?.opBy });
      case "snapshot": {
        const sub = this.subs.get(f.r as string);
        if (!sub || (f.rev as number) <= sub.rev) return;
        sub.rev = f.rev as number;
        sub.stale = false;
        return this.emit("snapshot", { r: f.r as string, rev: f.rev as number, body: f.body as ObjectSnapshot });
      }
      case "token-expired":
        this.tokenEnded = true;
        return this.emit("token-expired", {});
      case "kicked":
        return;
    }
    if (f.error) {
      // A refusal without a tag (a frame too large to read) answers the oldest request: replies come in order.
      const oldest = this.pending.oldestKey();
      if (oldest) this.pending.resolve(oldest, f as unknown as Reply);
      else this.emit("error", errorOf(f as unknown as Reply));
    }
  }

  private onCreated(body: ObjectSnapshot, opBy: OpBy | undefined): void {
    if (!body || typeof body._r !== "string") return;
    const r = collectionOf(body._r);
    const feed = this.feeds.get(r);
    if (!feed || !feed.live(body)) return;
    this.deliverCreated(r, body, false, opBy);
  }

  private deliverCreated(collection: string, body: ObjectSnapshot, recovered: boolean, opBy?: OpBy): void {
    const room = /^\/rooms\/([^/]+)\/messages\/$/.exec(collection)?.[1];
    if (room) this.emit("message", { room, message: body as unknown as MessageItem, recovered });
    else this.emit("created", { r: body._r, collection, body, opBy, recovered });
  }

  private onUpdated(r: string, rev: number, changes: Record<string, FieldChange>, opBy: OpBy): void {
    const sub = this.subs.get(r);
    if (!sub || sub.stale || rev <= sub.rev) return;
    if (rev === sub.rev + 1) {
      sub.rev = rev;
      return this.emit("updated", { r, rev, changes, opBy });
    }
    // Updates were missed: read the object again rather than apply this one to the wrong base.
    sub.stale = true;
    this.get(r).then(
      (body) => {
        const now = this.subs.get(r);
        if (!now) return;
        if (body._rev > now.rev) this.emit("snapshot", { r, rev: body._rev, body });
        now.rev = Math.max(now.rev, body._rev);
        now.stale = false;
      },
      (err: SwitchboardError) => {
        if (err.code === "object.gone" || err.code === "object.missing") this.dropSub(r, err.code);
        // Lost with the connection: the reconnect refreshes every subscription.
      },
    );
  }
}

function errorOf(reply: Reply): SwitchboardError {
  const e = reply.error!;
  return new SwitchboardError(e.message, e.message, { status: e.code, details: e.errors });
}

function checked(reply: Reply): Reply {
  if (reply.error) throw errorOf(reply);
  return reply;
}
