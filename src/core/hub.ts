import type { Broker } from "../engine/broker/types.js";
import type { StoredEvent } from "../engine/store/types.js";
import { toCoreEvent } from "./rooms.js";
import { OutFrame, type CoreEvent, type Renderer, type Subscriber } from "./types.js";

/** Loads stored events [from, to) of a channel's stream, to fill a gap the broker left. */
export type GapFiller = (channel: string, from: number, to: number) => Promise<StoredEvent[]>;

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
  readonly subs: Map<string, Subscription>;
  /** Next stored seq this node expects on the channel; null until the first one is seen. */
  expected: number | null;
  /** Stored events that arrived ahead of a gap, by seq. */
  early: Map<number, CoreEvent>;
  gapTimer: NodeJS.Timeout | null;
}

export interface Attachment {
  /** Sends what was held, skipping stored events with seq <= snapshotSeq. */
  release(snapshotSeq: number): void;
}

const GAP_WAIT_MS = 200;

/**
 * Local fan-out. Every event reaches this node through the broker; the hub
 * restores per-channel seq order (a fleet's broker may reorder publishes from
 * different nodes), renders each event once per dialect, and hands the same
 * frame to every local subscriber.
 */
export class Hub {
  private readonly channels = new Map<string, Channel>();
  /** Core services listening on a channel themselves (revocations, config), not connections. */
  private readonly listeners = new Map<string, Set<(event: CoreEvent) => void>>();

  constructor(
    private readonly broker: Broker,
    private readonly fillGap: GapFiller,
  ) {}

  start(): Promise<void> {
    return this.broker.start((event) => this.receive(event));
  }

  publish(event: CoreEvent): Promise<void> {
    return this.broker.publish(event);
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
    let channel = this.channels.get(channelName);
    if (!channel) {
      channel = { subs: new Map(), expected: null, early: new Map(), gapTimer: null };
      this.channels.set(channelName, channel);
      if (!this.listeners.has(channelName)) await this.broker.subscribe(channelName);
    }
    const subscription: Subscription = { sub, held: hold ? [] : null, floor: 0, accepts };
    channel.subs.set(sub.connId, subscription);
    const joined = channel;
    return {
      release: (snapshotSeq) => {
        subscription.floor = snapshotSeq;
        // A channel that has seen nothing yet starts right after the snapshot: an
        // earlier event the broker delivers late is then waited for, not skipped.
        if (joined.expected === null && snapshotSeq > 0) joined.expected = snapshotSeq + 1;
        const held = subscription.held ?? [];
        subscription.held = null;
        for (const event of held) this.deliverOne(subscription, event, null);
      },
    };
  }

  detach(channelName: string, connId: string): boolean {
    const channel = this.channels.get(channelName);
    if (!channel || !channel.subs.delete(connId)) return false;
    if (channel.subs.size === 0) {
      if (channel.gapTimer) clearTimeout(channel.gapTimer);
      this.channels.delete(channelName);
      if (!this.listeners.has(channelName)) void this.broker.unsubscribe(channelName);
    }
    return true;
  }

  isAttached(channelName: string, connId: string): boolean {
    return this.channels.get(channelName)?.subs.has(connId) ?? false;
  }

  localSubscribers(channelName: string): Subscriber[] {
    return [...(this.channels.get(channelName)?.subs.values() ?? [])].map((s) => s.sub);
  }

  private receive(event: CoreEvent): void {
    for (const fn of this.listeners.get(event.channel) ?? []) fn(event);
    const channel = this.channels.get(event.channel);
    if (!channel) return;
    if (event.seq === undefined) return this.fanOut(channel, event);
    if (channel.expected === null || event.seq === channel.expected) {
      this.fanOut(channel, event);
      channel.expected = event.seq + 1;
      this.drainEarly(channel);
    } else if (event.seq > channel.expected) {
      channel.early.set(event.seq, event);
      if (!channel.gapTimer) {
        channel.gapTimer = setTimeout(() => void this.repair(event.channel), GAP_WAIT_MS);
      }
    }
    // seq below expected: already delivered on this node.
  }

  private drainEarly(channel: Channel): void {
    while (channel.expected !== null && channel.early.has(channel.expected)) {
      const next = channel.early.get(channel.expected)!;
      channel.early.delete(channel.expected);
      this.fanOut(channel, next);
      channel.expected += 1;
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
    let missing: StoredEvent[];
    try {
      missing = await this.fillGap(channelName, channel.expected, upTo);
    } catch {
      // The store did not answer: the events are durable, so try again rather than skip them.
      if (this.channels.get(channelName) === channel && !channel.gapTimer) {
        channel.gapTimer = setTimeout(() => void this.repair(channelName), GAP_WAIT_MS);
      }
      return;
    }
    for (const stored of missing) {
      if (!channel.early.has(stored.seq)) channel.early.set(stored.seq, toCoreEvent(stored));
    }
    if (!channel.early.has(channel.expected)) channel.expected = upTo; // not in the store either (trimmed): move on
    this.drainEarly(channel);
  }

  private fanOut(channel: Channel, event: CoreEvent): void {
    const frames = new Map<Renderer, OutFrame | null>();
    for (const subscription of channel.subs.values()) this.deliverOne(subscription, event, frames);
  }

  private deliverOne(s: Subscription, event: CoreEvent, frames: Map<Renderer, OutFrame | null> | null): void {
    if (event.exceptConn === s.sub.connId || event.exceptUser === s.sub.user.id) return;
    if (event.seq !== undefined && event.seq <= s.floor) return;
    if (s.accepts && !s.accepts(event)) return;
    if (s.held) {
      s.held.push(event);
      return;
    }
    const renderer = s.sub.renderer;
    let frame = frames?.get(renderer);
    if (frame === undefined) {
      const text = renderer.render(event);
      frame = text === null ? null : new OutFrame(text);
      frames?.set(renderer, frame);
    }
    if (frame) s.sub.deliver(frame);
  }
}
