import type { Store, StoredEvent } from "../../engine/store/types.js";
import type { Hub } from "../hub.js";
import type { Json } from "../json.js";
import { toCoreEvent } from "../rooms.js";
import type { Subscriber, UserRef } from "../types.js";
import { topicChannels } from "./channels.js";

export interface HistoryLimits {
  /** Newest messages kept per topic. */
  historySize: number;
  /** Messages older than this are dropped. */
  historyAgeMs: number;
}

/** Everything a subscriber missed after a cursor, held back until `release`. */
export type CatchUp =
  | { ok: true; events: StoredEvent[]; bytes: number; release(): void; cancel(): void }
  | { ok: false };

const PAGE = 500;

/**
 * Topic messages: stored in the history port under `topic:<name>` (so they get
 * gapless seqs) before anyone hears of them, trimmed to a bounded recent
 * window, and replayable from a cursor with no gap and no duplicate.
 */
export class TopicStreams {
  private readonly trimQueue = new Set<string>();
  private trimScheduled = false;

  constructor(
    private readonly store: Store,
    private readonly hub: Hub,
    private readonly limits: HistoryLimits,
    private readonly now: () => number,
  ) {}

  async publish(topic: string, sender: UserRef, data: Json): Promise<StoredEvent> {
    const stream = topicChannels.stream(topic);
    const stored = await this.store.history.append(stream, { type: "mesg", time: this.now(), sender: { id: sender.id, name: sender.name }, data: { data } });
    this.scheduleTrim(stream);
    await this.hub.publishStored(toCoreEvent(stored));
    return stored;
  }

  /** Live delivery from now on; resolves to the seq the subscriber starts after. */
  async follow(sub: Subscriber, topic: string): Promise<number> {
    const stream = topicChannels.stream(topic);
    const attachment = await this.hub.attach(stream, sub, true);
    const last = await this.store.history.lastSeq(stream);
    attachment.release(last);
    return last;
  }

  unfollow(sub: Subscriber, topic: string): void {
    this.hub.detach(topicChannels.stream(topic), sub.connId);
  }

  /**
   * Attaches `sub` with live events held, then reads every message after
   * `after`. Fails (detached again) when any of them was trimmed or they add up
   * to more than `maxBytes`: a replay is all or nothing.
   */
  async catchUp(sub: Subscriber, topic: string, after: number, maxBytes: number): Promise<CatchUp> {
    const stream = topicChannels.stream(topic);
    const history = this.store.history;
    const attachment = await this.hub.attach(stream, sub, true);
    const cancel = () => void this.hub.detach(stream, sub.connId);
    const fail = (): CatchUp => (cancel(), { ok: false });
    // Trimmed first, so that messages past the age limit count as gone even on a quiet topic.
    await this.trim(stream);
    const events: StoredEvent[] = [];
    let bytes = 0;
    let next = after + 1;
    for (;;) {
      const page = await history.read(stream, { from: next, limit: PAGE, take: "oldest" });
      for (const event of page) {
        if (event.seq !== next) return fail();
        events.push(event);
        bytes += JSON.stringify(event.data).length;
        next += 1;
      }
      if (bytes > maxBytes) return fail();
      if (page.length < PAGE) break;
    }
    // An empty read proves nothing if the window moved past `next` meanwhile.
    if ((await history.firstSeq(stream)) > next) return fail();
    return { ok: true, events, bytes, release: () => attachment.release(next - 1), cancel };
  }

  private trim(stream: string): Promise<number> {
    return this.store.history.trim(stream, { keepLast: this.limits.historySize, olderThan: this.now() - this.limits.historyAgeMs });
  }

  /** One trim per busy stream per event-loop turn rather than one per message. */
  private scheduleTrim(stream: string): void {
    this.trimQueue.add(stream);
    if (this.trimScheduled) return;
    this.trimScheduled = true;
    setImmediate(() => {
      this.trimScheduled = false;
      const streams = [...this.trimQueue];
      this.trimQueue.clear();
      for (const s of streams) void this.trim(s).catch(() => undefined);
    });
  }
}
