/** Something with a deadline. Moving `deadline` later needs no rescheduling: the wheel re-checks. */
export interface Timed {
  deadline: number;
  /** 0 cancels. */
  onDeadline(now: number): void;
}

/**
 * One timer for every connection's timeouts instead of one timer each. Items
 * whose deadline moved are pushed forward when their slot comes up, so a busy
 * connection costs a field write per frame, not a timer reset.
 */
export class TimerWheel {
  private readonly slots = new Map<number, Set<Timed>>();
  /** Where each waiting item is, so cancelling frees it now rather than when its slot comes up. */
  private readonly slotOf = new Map<Timed, number>();
  private interval: NodeJS.Timeout | null = null;
  private lastTick: number;

  constructor(
    private readonly resolutionMs = 100,
    private readonly now: () => number = Date.now,
  ) {
    this.lastTick = Math.floor(this.now() / resolutionMs);
  }

  /** Items waiting for their deadline. */
  get pending(): number {
    return this.slotOf.size;
  }

  /** (Re)schedules `item` for its current deadline; an item is in at most one slot. */
  schedule(item: Timed): void {
    this.unslot(item);
    const tick = Math.max(Math.ceil(item.deadline / this.resolutionMs), this.lastTick + 1);
    let slot = this.slots.get(tick);
    if (!slot) this.slots.set(tick, (slot = new Set()));
    slot.add(item);
    this.slotOf.set(item, tick);
    if (!this.interval) {
      this.interval = setInterval(() => this.advance(), this.resolutionMs);
      this.interval.unref();
    }
  }

  /**
   * Forgets `item` at once. A closed connection's timers (a 24 h token expiry,
   * say) would otherwise keep the whole session reachable until they fire.
   */
  cancel(item: Timed): void {
    item.deadline = 0;
    this.unslot(item);
  }

  private unslot(item: Timed): void {
    const tick = this.slotOf.get(item);
    if (tick === undefined) return;
    this.slotOf.delete(item);
    const slot = this.slots.get(tick);
    slot?.delete(item);
    if (slot?.size === 0) this.slots.delete(tick);
  }

  private advance(): void {
    const now = this.now();
    const current = Math.floor(now / this.resolutionMs);
    for (let tick = this.lastTick + 1; tick <= current; tick++) {
      const slot = this.slots.get(tick);
      if (!slot) continue;
      this.slots.delete(tick);
      for (const item of slot) {
        this.slotOf.delete(item);
        if (item.deadline === 0) continue;
        if (item.deadline > now) this.schedule(item);
        else item.onDeadline(now);
      }
    }
    this.lastTick = current;
    if (this.slots.size === 0 && this.interval) {
      clearInterval(this.interval);
      this.interval = null;
    }
  }

  stop(): void {
    if (this.interval) clearInterval(this.interval);
    this.interval = null;
    this.slots.clear();
    this.slotOf.clear();
  }
}

/** Runs `run` every `ms` on the wheel (which fires each item once), until the returned function is called. */
export function repeat(wheel: TimerWheel, ms: number, run: (now: number) => void): () => void {
  let stopped = false;
  const item: Timed = {
    deadline: Date.now() + ms,
    onDeadline(now) {
      if (stopped) return;
      run(now);
      item.deadline = now + ms;
      wheel.schedule(item);
    },
  };
  wheel.schedule(item);
  return () => {
    stopped = true;
    wheel.cancel(item);
  };
}
