import type { HistoryStore } from "../../engine/store/types.js";
import type { CoreEvent } from "../types.js";

/** Changes kept per document for subscribers catching up from an older revision. */
export const KEPT_CHANGES = 100;
/** The log is cut back to KEPT_CHANGES once every this many appends: one delete per batch of writes, not per write. */
const TRIM_EVERY = 25;

/** A history stream of its own per document: never a hub channel, so nothing fans its entries out. */
const streamOf = (collection: string, id: string) => `doc-changes:${collection}/${id}`;

/**
 * The recent `updated` events of each document, as subscribers were sent them,
 * in the store's history (a stream per document, bounded), so a client that
 * subscribes with the revision it has can be sent what it missed — on any node.
 * An entry that is missing (trimmed, or its append failed or has not committed
 * yet) makes a catch-up fall back to a snapshot: never a wrong replay.
 */
export class ChangeLog {
  constructor(private readonly history: HistoryStore) {}

  /** Keeps a change event. Writers do not wait for it: a missing entry only turns a later catch-up into a snapshot. */
  record(event: CoreEvent, collection: string, id: string): void {
    const stream = streamOf(collection, id);
    this.history
      .append(stream, { type: event.type, time: event.time, sender: event.sender, data: event.data })
      .then((stored) => (stored.seq % TRIM_EVERY === 0 ? this.history.trim(stream, { keepLast: KEPT_CHANGES }) : 0))
      .catch(() => undefined);
  }

  /**
   * The `updated` events that took the document from `fromRev` to `toRev`, in
   * order, as published on `channel`, or null when one of them is not held
   * (then the caller sends a snapshot).
   */
  async since(channel: string, collection: string, id: string, fromRev: number, toRev: number): Promise<CoreEvent[] | null> {
    if (toRev <= fromRev) return [];
    if (toRev - fromRev > KEPT_CHANGES + TRIM_EVERY) return null;
    const held = await this.history.read(streamOf(collection, id), { limit: KEPT_CHANGES + TRIM_EVERY, take: "newest" });
    const byRev = new Map<number, CoreEvent>();
    for (const e of held) {
      if (typeof e.data.rev === "number") byRev.set(e.data.rev, { channel, type: e.type, time: e.time, sender: e.sender, data: e.data });
    }
    const out: CoreEvent[] = [];
    for (let rev = fromRev + 1; rev <= toRev; rev++) {
      const e = byRev.get(rev);
      if (!e) return null;
      out.push(e);
    }
    return out;
  }

  /** A deleted document's changes are of no use to anyone. */
  forget(collection: string, id: string): void {
    this.history.trim(streamOf(collection, id), { keepLast: 0 }).catch(() => undefined);
  }
}
