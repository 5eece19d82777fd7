import type { Broker } from "../engine/broker/types.js";
import type { StoredEvent } from "../engine/store/types.js";
import { toCoreEvent } from "./rooms.js";
import { OutFrame, type CoreEvent, type Renderer, type Subscriber } from "./types.js";

/** Loads stored events [from, to) of a channel's stream, to fill a gap the broker left. */
export type GapFiller = (channel: string, from: number, to: number) => Promise<StoredEvent[]>;
/** The highest seq the store holds for a channel's stream (0 when none). */
export type Position = (channel: string) => Promise<number>;

interface Subscription {
  readonly sub: Subscriber;
  /** Events waiting until the subscriber has been sent its snapshot; null once released. */
  held: CoreEvent[] | null;
  /** Stored events at or below this seq were part of the snapshot: never send them twice. */
  floor: number;
  /** A per-subscription filter (a live read's query), checked before rendering. */
  readonly accepts: ((event: CoreEvent) => boolean) | undefined;
}

interface Channel {
  readonly name: string;
  readonly subs: Map<string, Subscription>;
  /** Next stored seq this node fans out on the channel; null while its start position is being read. */
  expected: number | null;
  /** Settles once `expected` is known; attachments wait for it. */
  ready: Promise<void>;
  /** ms epoch of the newest stored event fanned out (or of the start): idle channels get position checks. */
  lastActive: number;
  /** Stored events that arrived ahead of a gap (or before the start was known), by seq. */
  early: Map<number, CoreEvent>;
  gapTimer: NodeJS.Timeout | null;
}

export interface Attachment {
  /** Sends what was held, skipping stored events with seq <= snapshotSeq. */
  release(snapshotSeq: number): void;
}

const GAP_WAIT_MS = 200;

/** What the hub tells whoever measures it (the server's metrics). Called on the fan-out path: cheap, never throwing. */
export interface HubObserver {
  /**
   * A stored event reached this node's fan-out: ms since its `time`, which was
   * taken just before it was stored — so the store commit, the broker hop and
   * any wait for an earlier seq are in it; the sockets' flush is not.
   */
  fanOut?(ms: number): void;
  /** Frames handed to local subscribers: one per subscriber per event. */
  delivered?(count: number): void;
}

/**
 * Local fan-out. Every event reaches this node through the broker; the hub
 * restores per-channel seq order (a fleet's broker may reorder publishes from
 * different nodes, or lose some in an outage), renders each event once per
 * dialect, and hands the same frame to every local subscriber.
 *
 * Order and completeness rest on the store: a channel starts at the stream's
 * real position (read when the first local subscriber attaches), a gap that
 * outlives a short wait is filled from the store, and idle channels are
 * checked against the store now and then, so a lost *last* event is found
 * too (as centrifuge does) — never skipped, never delivered twice.
 */
export class Hub {
  private readonly channels = new Map<string, Channel>();
  /** Core services listening on a channel themselves (revocations, config), not connections. */
  private readonly listeners = new Map<string, Set<(event: CoreEvent) => void>>();
  private checkTimer: NodeJS.Timeout | null = null;
  private checking = false;

  constructor(
    private readonly broker: Broker,
    private readonly fillGap: GapFiller,
    private readonly position: Position = async () => 0,
    /** How often idle channels are checked against the store for a lost last event; 0: never. */
    private readonly positionCheckMs = 0,
    private readonly observer: HubObserver = {},
  ) {}

  async start(): Promise<void> {
    await this.broker.start((event) => this.receive(event));
    // After a broker outage anything published meanwhile may be gone: look in the store at once.
    this.broker.onReconnect(() => void this.checkPositions(0));
    if (this.positionCheckMs > 0) {
      this.checkTimer = setInterval(() => void this.checkPositions(this.positionCheckMs), this.positionCheckMs);
      this.checkTimer.unref();
    }
  }

  stop(): void {
    if (this.checkTimer) clearInterval(this.checkTimer);
    this.checkTimer = null;
    for (const channel of this.channels.values()) if (channel.gapTimer) clearTimeout(channel.gapTimer);
  }

  publish(event: CoreEvent): Promise<void> {
    return this.broker.publish(event);
  }

  /**
   * Fans out an event that is already durable. A broker that cannot take it
   * (an outage) loses nothing: every node finds it in the store by its
   * position checks, so the sender is not told of a failure that is not one.
   */
  publishStored(event: CoreEvent): Promise<void> {
    return this.broker.publish(event).catch(() => undefined);
  }

  async listen(channelName: string, fn: (event: CoreEvent) => void): Promise<void> {
    let set = this.listeners.get(channelName);
    if (!set) {
      this.listeners.set(channelName, (set = new Set()));
      if (!this.channels.has(channelName)) await this.broker.subscribe(channelName);
    }
    set.add(fn);
  }

  /** Subscribes a connection; with `hold`, live events wait for `release` (join snapshot races). */
  async attach(channelName: string, sub: Subscriber, hold: boolean, accepts?: (event: CoreEvent) => boolean): Promise<Attachment> {
    const subscription: Subscription = { sub, held: hold ? [] : null, floor: 0, accepts };
    let channel = this.channels.get(channelName);
    if (!channel) {
      const fresh: Channel = { name: channelName, subs: new Map(), expected: null, ready: Promise.resolve(), lastActive: Date.now(), early: new Map(), gapTimer: null };
      this.channels.set(channelName, (channel = fresh));
      fresh.ready = this.open(fresh);
    }
    channel.subs.set(sub.connId, subscription);
    try {
      await channel.ready;
    } catch (err) {
      this.detach(channelName, sub.connId);
      throw err;
    }
    return {
      release: (snapshotSeq) => {
        subscription.floor = snapshotSeq;
        const held = subscription.held ?? [];
        subscription.held = null;
        let delivered = 0;
        for (const event of held) if (this.deliverOne(subscription, event, null)) delivered++;
        if (delivered > 0) this.observer.delivered?.(delivered);
      },
    };
  }

  detach(channelName: string, connId: string): boolean {
    const channel = this.channels.get(channelName);
    if (!channel || !channel.subs.delete(connId)) return false;
    if (channel.subs.size === 0) {
      if (channel.gapTimer) clearTimeout(channel.gapTimer);
      this.channels.delete(channelName);
      if (!this.listeners.has(channelName)) void this.broker.unsubscribe(channelName).catch(() => undefined);
    }
    return true;
  }

  isAttached(channelName: string, connId: string): boolean {
    return this.channels.get(channelName)?.subs.has(connId) ?? false;
  }

  localSubscribers(channelName: string): Subscriber[] {
    return [...(this.channels.get(channelName)?.subs.values() ?? [])].map((s) => s.sub);
  }

  /**
   * Subscribes, then reads where the stream stands: events stored up to then
   * are the subscribers' snapshots' business, later ones are fanned out in
   * order from there — even when the broker hands them over out of order.
   */
  private async open(channel: Channel): Promise<void> {
    if (!this.listeners.has(channel.name)) await this.broker.subscribe(channel.name);
    const last = await this.position(channel.name);
    if (this.channels.get(channel.name) !== channel) return;
    channel.expected = last + 1;
    for (const seq of channel.early.keys()) if (seq <= last) channel.early.delete(seq);
    this.drainEarly(channel);
    this.waitForGap(channel);
  }

  private receive(event: CoreEvent): void {
    for (const fn of this.listeners.get(event.channel) ?? []) fn(event);
    const channel = this.channels.get(event.channel);
    if (!channel) return;
    if (event.seq === undefined) return this.fanOut(channel, event);
    if (channel.expected === null) {
      // The start position is still being read: keep it until then.
      channel.early.set(event.seq, event);
    } else if (event.seq === channel.expected) {
      this.fanOut(channel, event);
      channel.expected = event.seq + 1;
      channel.lastActive = Date.now();
      this.drainEarly(channel);
    } else if (event.seq > channel.expected) {
      channel.early.set(event.seq, event);
      this.waitForGap(channel);
    }
    // seq below expected: already delivered on this node.
  }

  private waitForGap(channel: Channel): void {
    if (channel.early.size > 0 && !channel.gapTimer) {
      channel.gapTimer = setTimeout(() => void this.repair(channel.name), GAP_WAIT_MS);
    }
  }

  private drainEarly(channel: Channel): void {
    while (channel.expected !== null && channel.early.has(channel.expected)) {
      const next = channel.early.get(channel.expected)!;
      channel.early.delete(channel.expected);
      this.fanOut(channel, next);
      channel.expected += 1;
      channel.lastActive = Date.now();
    }
    if (channel.early.size === 0 && channel.gapTimer) {
      clearTimeout(channel.gapTimer);
      channel.gapTimer = null;
    }
  }

  /** A gap outlived the wait: the missing events are durable, so read them from the store. */
  private async repair(channelName: string): Promise<void> {
    const channel = this.channels.get(channelName);
    if (!channel) return;
    channel.gapTimer = null;
    if (channel.expected === null || channel.early.size === 0) return;
    const upTo = Math.min(...channel.early.keys());
    if (!(await this.fill(channel, upTo))) {
      // The store did not answer: the events are durable, so try again rather than skip them.
      if (this.channels.get(channelName) === channel) this.waitForGap(channel);
      return;
    }
    if (channel.expected !== null && channel.expected < upTo && !channel.early.has(channel.expected)) channel.expected = upTo; // trimmed from the store too: move on
    this.drainEarly(channel);
    // Another gap further on: wait for it (and repair it) in turn.
    this.waitForGap(channel);
  }

  /** Reads stored events [expected, upTo) into `early`; false when the store failed. */
  private async fill(channel: Channel, upTo: number): Promise<boolean> {
    const from = channel.expected;
    if (from === null || upTo <= from) return true;
    let missing: StoredEvent[];
    try {
      missing = await this.fillGap(channel.name, from, upTo);
    } catch {
      return false;
    }
    for (const stored of missing) {
      if (channel.expected !== null && stored.seq >= channel.expected && !channel.early.has(stored.seq)) channel.early.set(stored.seq, toCoreEvent(stored));
    }
    return true;
  }

  /**
   * Compares channels that have been quiet for `idleMs` with the store: a
   * stored event the broker never brought (lost on its way, or published
   * during a broker outage) is read and delivered, in order, once.
   */
  private async checkPositions(idleMs: number): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      const now = Date.now();
      for (const channel of [...this.channels.values()]) {
        if (channel.expected === null || channel.gapTimer || now - channel.lastActive < idleMs) continue;
        if (this.channels.get(channel.name) !== channel) continue;
        const last = await this.position(channel.name).catch(() => null);
        if (last === null || channel.expected === null || last < channel.expected) continue;
        if (await this.fill(channel, last + 1)) this.drainEarly(channel);
        this.waitForGap(channel);
      }
    } finally {
      this.checking = false;
    }
  }

  private fanOut(channel: Channel, event: CoreEvent): void {
    // Clocks of a fleet's nodes differ a little: never a negative latency.
    if (event.seq !== undefined) this.observer.fanOut?.(Math.max(0, Date.now() - event.time));
    const frames = new RenderedOnce(event);
    let delivered = 0;
    for (const subscription of channel.subs.values()) if (this.deliverOne(subscription, event, frames)) delivered++;
    if (delivered > 0) this.observer.delivered?.(delivered);
  }

  /** Whether a frame went to the subscriber now (held, filtered out or not shown: no). */
  private deliverOne(s: Subscription, event: CoreEvent, frames: RenderedOnce | null): boolean {
    if (event.exceptConn === s.sub.connId || event.exceptUser === s.sub.user.id) return false;
    if (event.seq !== undefined && event.seq <= s.floor) return false;
    if (s.accepts && !s.accepts(event)) return false;
    if (s.held) {
      s.held.push(event);
      return false;
    }
    const frame = (frames ?? new RenderedOnce(event)).frameFor(s.sub.renderer);
    if (!frame) return false;
    s.sub.deliver(frame);
    return true;
  }

}

/**
 * One event's frame per dialect, rendered at its first subscriber and shared
 * by the rest. A room nearly always has one dialect: that one is kept in
 * fields, compared per delivery instead of looked up in a map.
 */
class RenderedOnce {
  private renderer: Renderer | null = null;
  private frame: OutFrame | null = null;
  private others: Map<Renderer, OutFrame | null> | null = null;

  constructor(private readonly event: CoreEvent) {}

  frameFor(renderer: Renderer): OutFrame | null {
    if (renderer === this.renderer) return this.frame;
    const known = this.others?.get(renderer);
    if (known !== undefined) return known;
    const text = renderer.render(this.event);
    const frame = text === null ? null : new OutFrame(text, this.event.lazy === true);
    if (this.renderer === null) {
      this.renderer = renderer;
      this.frame = frame;
    } else (this.others ??= new Map()).set(renderer, frame);
    return frame;
  }
}
