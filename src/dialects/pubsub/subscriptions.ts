import type { CatchUp } from "../../core/topics/streams.js";
import type { OutFrame, Renderer, Subscriber, UserRef } from "../../core/types.js";
import type { PushTarget } from "../../connection/client-connection.js";
import type { PubsubSession } from "./session.js";
import { meRenderer, presenceRenderer, renderMesg, seqOfMesg, topicRenderer } from "./render.js";
import type { TopicRef } from "./topic-names.js";

const renderers: Record<TopicRef["kind"], Renderer> = { plain: topicRenderer, me: meRenderer, presence: presenceRenderer };

/** One topic a connection follows, as the hub (or a presence view) sees it. */
export class TopicSub implements Subscriber, PushTarget {
  readonly connId: string;
  readonly renderer: Renderer;
  /** The last seq known written to the socket: what a resume replays after. */
  cursor: number | null = null;
  /** The last seq handed to the connection, confirmed into `cursor` once its queue was flushed. */
  written: number | null = null;
  /** Presence frames wait here until the `sub`/`resume` reply (with the members) has gone out. */
  private held: OutFrame[] | null;

  constructor(
    readonly ref: TopicRef,
    private readonly s: PubsubSession,
  ) {
    // `P/me` and `P/<own id>` share one stream: distinct ids keep both subscriptions in the hub.
    this.connId = ref.kind === "me" ? `${s.connId}~me` : s.connId;
    this.renderer = renderers[ref.kind];
    this.held = ref.kind === "presence" ? [] : null;
  }

  get user(): UserRef {
    return this.s.user;
  }

  deliver(frame: OutFrame): void {
    if (this.held) this.held.push(frame);
    // Held by the connection while a `pub` is stored, so its success goes out before the publisher's own `mesg`.
    else this.s.conn.push(frame, this);
  }

  release(): void {
    const held = this.held ?? [];
    this.held = null;
    for (const frame of held) this.write(frame);
  }

  /** Written now (a replay, released presence), and counted like a push. */
  write(frame: OutFrame | string): void {
    if (!this.s.conn.open) return;
    this.s.conn.send(frame);
    this.wrote(frame);
  }

  /** The frame went to the connection: the cursor moves once the transport says it reached the wire. */
  wrote(frame: OutFrame | string): void {
    if (this.ref.kind === "presence") return;
    const seq = seqOfMesg(typeof frame === "string" ? frame : frame.text);
    if (seq > (this.written ?? 0)) {
      this.written = seq;
      this.s.toConfirm(this);
    }
  }

  /** Starts (or resumes) at `seq`: nothing after it has been sent. */
  startAt(seq: number | null): void {
    this.cursor = this.written = seq;
  }
}

/** A subscription being restored by `resume`: its missed messages, read but not yet sent. */
export interface Restoring {
  sub: TopicSub;
  catchUp: Extract<CatchUp, { ok: true }> | null;
}

/** The topics one connection follows, and the cursors its session records. */
export class Subscriptions {
  private readonly subs = new Map<string, TopicSub>();

  constructor(private readonly s: PubsubSession) {}

  get size(): number {
    return this.subs.size;
  }

  has(wire: string): boolean {
    return this.subs.has(wire);
  }

  wires(): string[] {
    return [...this.subs.keys()];
  }

  cursors(): Record<string, number | null> {
    const out: Record<string, number | null> = {};
    for (const [wire, sub] of this.subs) out[wire] = sub.cursor;
    return out;
  }

  /** Subscribes; resolves to the members of each presence topic among `refs`, by name. */
  async add(refs: TopicRef[]): Promise<Map<string, UserRef[]>> {
    const topics = this.s.ctx.core.topics;
    const members = new Map<string, UserRef[]>();
    for (const ref of refs) {
      const existing = this.subs.get(ref.wire);
      if (existing) {
        if (ref.kind === "presence") members.set(ref.wire, await topics.presence.members(ref.canonical));
        continue;
      }
      const sub = new TopicSub(ref, this.s);
      this.subs.set(ref.wire, sub);
      if (ref.kind === "presence") members.set(ref.wire, await topics.presence.watch(ref.canonical, sub));
      else sub.startAt(await topics.streams.follow(sub, ref.canonical));
      if (ref.kind === "plain") await topics.presence.join(ref.canonical, this.s.connId, this.s.user);
    }
    return members;
  }

  /** Presence frames held during `add` or `restore` go out now, after the reply. */
  releasePresence(): void {
    for (const sub of this.subs.values()) if (sub.ref.kind === "presence") sub.release();
  }

  async remove(wires: string[]): Promise<void> {
    await this.leave(this.detach(wires));
  }

  /** Everything removed; the cursors are read after delivery stopped, so they are final. */
  removeAll(): { cursors: Record<string, number | null>; left: Promise<void> } {
    const gone = this.detach(this.wires());
    return { cursors: Object.fromEntries(gone.map((sub) => [sub.ref.wire, sub.cursor])), left: this.leave(gone) };
  }

  /** Stops delivery at once (synchronously). */
  private detach(wires: string[]): TopicSub[] {
    const topics = this.s.ctx.core.topics;
    const gone: TopicSub[] = [];
    for (const wire of wires) {
      const sub = this.subs.get(wire);
      if (!sub) continue;
      this.subs.delete(wire);
      gone.push(sub);
      if (sub.ref.kind === "presence") topics.presence.unwatch(sub.ref.canonical, sub.connId);
      else topics.streams.unfollow(sub, sub.ref.canonical);
    }
    return gone;
  }

  private async leave(gone: TopicSub[]): Promise<void> {
    const presence = this.s.ctx.core.topics.presence;
    await Promise.all(gone.filter((sub) => sub.ref.kind === "plain").map((sub) => presence.leave(sub.ref.canonical, this.s.connId, this.s.user)));
  }

  /**
   * First half of a resume: every message subscription attached with live
   * events held and its missed messages read. Null (nothing kept) when any
   * topic's messages are no longer all held or they exceed `maxBytes`.
   */
  async restore(entries: Array<[TopicRef, number | null]>, maxBytes: number): Promise<Restoring[] | null> {
    const streams = this.s.ctx.core.topics.streams;
    const plan: Restoring[] = [];
    let budget = maxBytes;
    for (const [ref, cursor] of entries) {
      const sub = new TopicSub(ref, this.s);
      if (ref.kind === "presence" || cursor === null) {
        plan.push({ sub, catchUp: null });
        continue;
      }
      const catchUp = await streams.catchUp(sub, ref.canonical, cursor, budget);
      if (!catchUp.ok) {
        for (const p of plan) p.catchUp?.cancel();
        return null;
      }
      budget -= catchUp.bytes;
      sub.startAt(cursor);
      plan.push({ sub, catchUp });
    }
    return plan;
  }

  /** Second half: presence watched, so the reply can carry the members; nothing sent yet. */
  async adopt(plan: Restoring[]): Promise<Map<string, UserRef[]>> {
    const topics = this.s.ctx.core.topics;
    const members = new Map<string, UserRef[]>();
    for (const { sub } of plan) {
      this.subs.set(sub.ref.wire, sub);
      const { kind, canonical, wire } = sub.ref;
      if (kind === "presence") members.set(wire, await topics.presence.watch(canonical, sub));
      else if (sub.cursor === null) sub.startAt(await topics.streams.follow(sub, canonical));
    }
    return members;
  }

  /** After the reply: the missed messages in order, then live ones, then the user joins again. */
  async replay(plan: Restoring[]): Promise<void> {
    for (const { sub, catchUp } of plan) {
      if (!catchUp) continue;
      for (const event of catchUp.events) sub.write(renderMesg({ ...event, channel: event.stream }, sub.ref.wire));
      catchUp.release();
    }
    this.releasePresence();
    const topics = this.s.ctx.core.topics;
    for (const { sub } of plan) if (sub.ref.kind === "plain") await topics.presence.join(sub.ref.canonical, this.s.connId, this.s.user);
  }
}
