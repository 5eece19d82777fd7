import { randomBytes } from "node:crypto";
import type { Identity, OutFrame } from "../../core/types.js";
import type { Timed } from "../../transport/timer-wheel.js";
import type { Fuse } from "./context.js";
import type { PullStream } from "./pull-stream.js";
import { FuseSession, type Outlet } from "./session.js";

/**
 * One HTTP session: the cookie's token, the logged-in session, and its pull.
 * Lines wait here while no pull is attached; a session with neither a pull
 * nor a push for `sessionIdleMs` is logged out.
 */
export class HttpLink implements Outlet, Timed {
  readonly token = randomBytes(24).toString("base64url");
  deadline: number;
  private pull: PullStream | null = null;
  private held: string[] = [];
  private heldBytes = 0;

  constructor(private readonly links: HttpLinks) {
    this.deadline = Date.now() + links.idleMs;
    links.f.ctx.wheel.schedule(this);
  }

  write(line: OutFrame | string): void {
    const text = typeof line === "string" ? line : line.text;
    if (this.pull?.open) return this.pull.write(text);
    this.held.push(text);
    this.heldBytes += text.length;
    // Nobody is reading: past the same bound a slow socket gets, the session is cut off.
    if (this.heldBytes > this.links.f.ctx.config.limits.maxQueueBytes) this.links.expire(this);
  }

  /** A new pull replaces the old one, which ends. */
  attach(pull: PullStream): void {
    const old = this.pull;
    this.pull = pull;
    old?.end();
    for (const line of this.held) pull.write(line);
    this.held = [];
    this.heldBytes = 0;
  }

  detached(pull: PullStream): void {
    if (this.pull !== pull) return;
    this.pull = null;
    this.touch();
  }

  /** A push or the end of a pull: the idle clock starts again. */
  touch(): void {
    if (this.deadline !== 0) this.deadline = Date.now() + this.links.idleMs;
  }

  onDeadline(now: number): void {
    if (this.pull?.open) {
      this.deadline = now + this.links.idleMs;
      this.links.f.ctx.wheel.schedule(this);
      return;
    }
    this.links.expire(this);
  }

  close(): void {
    this.links.f.ctx.wheel.cancel(this);
    this.pull?.end();
    this.pull = null;
    this.held = [];
  }
}

export interface LinkEntry {
  link: HttpLink;
  session: FuseSession;
}

/** This node's HTTP sessions by cookie token, and (for `legacy` mode) by name. */
export class HttpLinks {
  private readonly byToken = new Map<string, LinkEntry>();
  private readonly byName = new Map<string, HttpLink>();
  readonly idleMs: number;

  constructor(readonly f: Fuse) {
    this.idleMs = f.ctx.config.fuse.sessionIdleMs;
  }

  /** The request's cookie session or, in legacy mode, the session of the name. */
  find(token: string | null, name: string): LinkEntry | null {
    return this.get(token) ?? (this.f.ctx.config.fuse.legacy ? this.named(name) : null);
  }

  /** Logs `user` in over HTTP: a new cookie token, a new session. */
  async open(user: Identity, addr: string): Promise<{ token: string; finish: () => void }> {
    const link = new HttpLink(this);
    const session = new FuseSession(this.f, user, addr, link, () => this.drop(link));
    this.byToken.set(link.token, { link, session });
    this.byName.set(user.name.toLowerCase(), link);
    try {
      return { token: link.token, finish: await session.start() };
    } catch (err) {
      this.drop(link);
      throw err;
    }
  }

  get(token: string | null): LinkEntry | null {
    return (token && this.byToken.get(token)) || null;
  }

  named(name: string): LinkEntry | null {
    const link = this.byName.get(name.toLowerCase());
    return link ? this.get(link.token) : null;
  }

  /** Forgets the link (its cookie stops working) and ends its pull; the session itself is the caller's business. */
  drop(link: HttpLink): void {
    const entry = this.byToken.get(link.token);
    this.byToken.delete(link.token);
    if (entry && this.byName.get(entry.session.user.name.toLowerCase()) === link) this.byName.delete(entry.session.user.name.toLowerCase());
    link.close();
  }

  /** Idle or overflowing: logged out as if the connection was lost. */
  expire(link: HttpLink): void {
    const entry = this.byToken.get(link.token);
    this.drop(link);
    if (entry) entry.session.run(() => entry.session.end());
  }

  all(): HttpLink[] {
    return [...this.byToken.values()].map((e) => e.link);
  }
}
