import { randomBytes } from "node:crypto";
import type { Identity, OutFrame } from "../../core/types.js";
import { Mailbox, type Reader } from "../../transport/mailbox.js";
import type { Fuse } from "./context.js";
import type { FleetWire } from "./fleet.js";
import { LinkRecords, sidOf, type Home, type LinkRecord } from "./link-records.js";
import { RemotePull } from "./remote-pull.js";
import { FuseSession, type Outlet } from "./session.js";

/** A session's fleet record is renewed at most this often (and at least twice per `sessionIdleMs`). */
const RENEW_MS = 5000;

/**
 * One HTTP session: the cookie's token, the logged-in session, and its pull
 * (on this node, or held by another node). Its lines wait in a mailbox of the
 * transport layer while no pull is attached; a session with neither a pull
 * nor a push for `sessionIdleMs`, or with more than `limits.maxQueueBytes`
 * waiting, is logged out. What is fuse's here is the fleet record.
 */
export class HttpLink implements Outlet {
  readonly token = randomBytes(24).toString("base64url");
  readonly sid = sidOf(this.token);
  /** What the fleet knows of this session (null until written, and once removed). */
  record: LinkRecord | null = null;
  private readonly box: Mailbox;
  private renewed = Date.now();
  private closed = false;
  /** The user whose "disconnect everywhere" this link watches (the link is the watcher), until it closes. */
  private watched: string | null = null;

  constructor(private readonly links: HttpLinks) {
    const { ctx } = links.f;
    this.box = new Mailbox(
      ctx.wheel,
      { idleMs: () => links.idleMs, readerMs: () => links.idleMs, maxBytes: () => ctx.config.limits.maxQueueBytes },
      // Nobody reading for too long, or past the bound a slow socket gets: logged out as if the connection was lost.
      { overflow: () => links.expire(this), idle: () => links.expire(this), due: (pull, now) => this.stillPulled(pull, now) },
    );
  }

  write(line: OutFrame | string): void {
    this.box.write(typeof line === "string" ? line : line.text);
  }

  /** A new pull (here or on another node) replaces the old one, which ends. */
  attach(pull: Reader): void {
    this.box.attach(pull);
  }

  detached(pull: Reader): void {
    if (this.box.detach(pull)) this.keepRecord(Date.now());
  }

  /** The pull another node holds for this session, if it is still the current one. */
  remote(id: string): RemotePull | null {
    const pull = this.box.reader;
    return pull instanceof RemotePull && pull.id === id && pull.open ? pull : null;
  }

  /** A push: the idle clock starts again. */
  touch(): void {
    this.box.touch();
    this.keepRecord(Date.now());
  }

  /** Logged in as `userId`: the operator's "disconnect this user everywhere" reaches this session from now on. */
  watch(userId: string): void {
    if (this.closed) return;
    this.watched = userId;
    this.links.f.ctx.core.revocations.disconnects.watch(userId, this);
  }

  /** The operator's "disconnect this user everywhere" reached this node: logged out as if the connection was lost. */
  disconnected(): void {
    this.links.expire(this);
  }

  close(): void {
    this.closed = true;
    if (this.watched !== null) this.links.f.ctx.core.revocations.disconnects.unwatch(this.watched, this);
    this.watched = null;
    this.box.close();
  }

  /** A whole idle period with a pull attached: it keeps the session, unless it is another node's that stopped saying it holds it. */
  private stillPulled(pull: Reader, now: number): boolean {
    if (pull instanceof RemotePull && pull.lost(now, this.links.idleMs)) {
      // As if the pull had ended: the idle clock starts.
      pull.end();
      return false;
    }
    this.keepRecord(now);
    return true;
  }

  /** Renews the fleet record while the session lives, at most every few seconds. */
  private keepRecord(now: number): void {
    const record = this.record;
    if (!record || this.closed || now - this.renewed < Math.min(RENEW_MS, this.links.idleMs / 2)) return;
    this.renewed = now;
    this.links.records.renew(record, () => !this.closed && this.record === record).catch((err: unknown) => this.links.f.ctx.log.warn({ err, dialect: "fuse" }, "fuse session record not renewed"));
  }
}

export interface LinkEntry {
  link: HttpLink;
  session: FuseSession;
}

/** What a home answers about another node's pull: attached, no such session here, or not this name's session. */
export type RemotePullAnswer = "ok" | "unknown" | "refused";

/**
 * This node's HTTP sessions by cookie (its sid), and (for `legacy` mode) by
 * name; each also recorded fleet-wide, so the other nodes can find its home.
 */
export class HttpLinks {
  private readonly bySid = new Map<string, LinkEntry>();
  private readonly byName = new Map<string, HttpLink>();
  readonly idleMs: number;
  readonly records: LinkRecords;

  constructor(
    readonly f: Fuse,
    private readonly wire: FleetWire,
  ) {
    this.idleMs = f.ctx.config.fuse.sessionIdleMs;
    this.records = new LinkRecords(f);
  }

  /** Whether `name` alone may stand for an HTTP session (`fuse.legacy`). */
  get legacy(): boolean {
    return this.f.ctx.config.fuse.legacy;
  }

  /** The request's cookie session or, in legacy mode, the session of the name, when it lives on this node. */
  find(token: string | null, name: string): LinkEntry | null {
    return this.get(token) ?? (this.legacy ? this.named(name) : null);
  }

  /** Could the request's session live on another node? (It carries a cookie, or a name in legacy mode.) */
  mayBeElsewhere(token: string | null, name: string): boolean {
    return token !== null || (this.f.ctx.config.fuse.legacy && name !== "");
  }

  /** Where the fleet says the request's session lives, when that is another node. */
  async locate(token: string | null, name: string): Promise<Home | null> {
    const home = await this.records.locate(token === null ? null : sidOf(token), name);
    // A record of this node's own that `find` missed is an ended session (or one of an earlier process with this node id).
    return home && home.node !== this.records.node ? home : null;
  }

  /** Logs `user` in over HTTP: a new cookie token, a new session, recorded for the fleet. */
  async open(user: Identity, addr: string): Promise<{ token: string; finish: () => void }> {
    const link = new HttpLink(this);
    const session = new FuseSession(this.f, user, addr, link, () => this.drop(link));
    this.bySid.set(link.sid, { link, session });
    this.byName.set(user.name.toLowerCase(), link);
    // From the start, as a socket's connection does: an order given while the session enters the lobby is not missed.
    link.watch(user.id);
    try {
      const record = await this.records.add(link.sid, user.name, user.id);
      if (this.bySid.get(link.sid)?.link === link) link.record = record;
      else await this.records.remove(record);
      // In the session's turn, so that an end ordered meanwhile (a disconnect, idle) waits until it is in the lobby.
      return { token: link.token, finish: await session.serial(() => session.start()) };
    } catch (err) {
      this.drop(link);
      throw err;
    }
  }

  get(token: string | null): LinkEntry | null {
    return (token && this.bySid.get(sidOf(token))) || null;
  }

  /** A session of this node by its sid. */
  session(sid: string): LinkEntry | null {
    return this.bySid.get(sid) ?? null;
  }

  named(name: string): LinkEntry | null {
    const link = this.byName.get(name.toLowerCase());
    return link ? (this.bySid.get(link.sid) ?? null) : null;
  }

  /** Forgets the link here and in the fleet (its cookie stops working) and ends its pull; the session itself is the caller's business. */
  drop(link: HttpLink): void {
    const entry = this.bySid.get(link.sid);
    if (entry?.link === link) this.bySid.delete(link.sid);
    if (entry && this.byName.get(entry.session.user.name.toLowerCase()) === link) this.byName.delete(entry.session.user.name.toLowerCase());
    link.close();
    void this.unrecord(link);
  }

  /** Idle or overflowing: logged out as if the connection was lost. */
  expire(link: HttpLink): void {
    const entry = this.bySid.get(link.sid);
    this.drop(link);
    if (entry) entry.session.run(() => entry.session.end());
  }

  all(): HttpLink[] {
    return [...this.bySid.values()].map((e) => e.link);
  }

  /** Shutting down: every pull ends and the fleet forgets this node's sessions, so other nodes answer their cookies at once. */
  async closeAll(): Promise<void> {
    const links = this.all();
    for (const link of links) link.close();
    await Promise.all(links.map((link) => this.unrecord(link)));
  }

  /** Another node holds a pull for one of this node's sessions: attach it like a local one. */
  pullFrom(sid: string, name: string, node: string, pullId: string): RemotePullAnswer {
    const entry = this.bySid.get(sid);
    if (!entry) return "unknown";
    if (entry.session.ended || entry.session.user.name.toLowerCase() !== name.toLowerCase()) return "refused";
    entry.link.attach(new RemotePull(this.wire, node, pullId));
    return "ok";
  }

  /** The pulling node's keep-alive: false when that pull is no longer attached (replaced, or the session ended). */
  keep(sid: string, pullId: string): boolean {
    const pull = this.bySid.get(sid)?.link.remote(pullId) ?? null;
    if (pull) pull.seen = Date.now();
    return pull !== null;
  }

  /** The pulling node's client went away: as when a local pull ends. */
  unpull(sid: string, pullId: string): void {
    const link = this.bySid.get(sid)?.link;
    const pull = link?.remote(pullId);
    if (!link || !pull) return;
    pull.drop();
    link.detached(pull);
  }

  private async unrecord(link: HttpLink): Promise<void> {
    const record = link.record;
    link.record = null;
    if (record) await this.records.remove(record).catch((err: unknown) => this.f.ctx.log.warn({ err, dialect: "fuse" }, "fuse session record not removed"));
  }
}
