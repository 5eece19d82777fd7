// One room's stored events, handed to the app exactly once and in `nr` order.
// A room's `nr`s have no gaps, so a jump shows that something was missed (a
// reconnect, a burst cut off): the events after the jump wait while `sync`
// fetches the missing ones from the store.

import type { StoredEvent } from "./frames.js";

export interface SyncPage {
  messages: StoredEvent[];
  more: boolean;
}

export interface RoomLogHooks {
  deliver(event: StoredEvent, recovered: boolean): void;
  sync(from: number): Promise<SyncPage>;
  /** Events that the store no longer has (never expected: instalk keeps every event). */
  gap(from: number, to: number): void;
  /** A catch-up that began after a reconnect has delivered everything. */
  caughtUp(count: number): void;
}

export class RoomLog {
  /** The nr of the last event delivered; null before the room's history is known. */
  lastNr: number | null = null;
  /** Events past a gap, with whether they came through recovery. */
  private readonly held = new Map<number, { e: StoredEvent; recovered: boolean }>();
  private syncing = false;
  private recovering: number | null = null;

  constructor(private readonly hooks: RoomLogHooks) {}

  /** The history of a first join: the app has it from `join()`; later events follow it. */
  baseline(messages: StoredEvent[]): void {
    const last = messages[messages.length - 1];
    if (last) this.lastNr = Math.max(this.lastNr ?? 0, last.data.nr);
  }

  /** A re-join after a reconnect: its history is checked against what the app has. */
  rejoined(messages: StoredEvent[]): void {
    this.recovering = 0;
    for (const e of messages) this.take(e, true);
    this.settle();
  }

  /** A live event. */
  accept(event: StoredEvent): void {
    this.take(event, false);
    this.settle();
  }

  /** The socket went: held events will come again with the next welcome or sync. */
  reset(): void {
    this.held.clear();
  }

  private take(e: StoredEvent, recovered: boolean): void {
    const nr = e.data.nr;
    if (this.lastNr === null) {
      this.deliver(e, recovered);
      return;
    }
    if (nr <= this.lastNr) return;
    if (nr === this.lastNr + 1) {
      this.deliver(e, recovered);
      this.drain();
    } else this.held.set(nr, { e, recovered });
  }

  private deliver(e: StoredEvent, recovered: boolean): void {
    this.lastNr = e.data.nr;
    if (this.recovering !== null) this.recovering++;
    this.hooks.deliver(e, recovered);
  }

  private drain(): void {
    for (let next = this.held.get(this.lastNr! + 1); next; next = this.held.get(this.lastNr! + 1)) {
      this.held.delete(next.e.data.nr);
      this.deliver(next.e, next.recovered);
    }
    for (const nr of this.held.keys()) if (nr <= this.lastNr!) this.held.delete(nr);
  }

  private settle(): void {
    if (this.held.size > 0) {
      void this.fill();
      return;
    }
    if (!this.syncing && this.recovering !== null) {
      const count = this.recovering;
      this.recovering = null;
      this.hooks.caughtUp(count);
    }
  }

  /** Syncs from the first missing nr until nothing is held. */
  private async fill(): Promise<void> {
    if (this.syncing) return;
    this.syncing = true;
    try {
      while (this.held.size > 0 && this.lastNr !== null) {
        const from = this.lastNr + 1;
        const page = await this.hooks.sync(from);
        for (const e of page.messages) this.take(e, true);
        if (page.more) continue;
        if (this.held.size > 0 && this.lastNr + 1 === from) {
          // The store has nothing from `from` up to what we hold: say so, and go on after the hole.
          const next = Math.min(...this.held.keys());
          this.hooks.gap(from, next - 1);
          this.lastNr = next - 1;
          this.drain();
        }
      }
    } catch {
      // The socket went while syncing; the next welcome starts the catch-up again.
      this.recovering = null;
    } finally {
      this.syncing = false;
    }
    this.settle();
  }
}
