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
  private interval: NodeJS.Timeout | null = null;
  private lastTick: number;

  constructor(
    private readonly resolutionMs = 100,
    private readonly now: () => number = Date.now,
  ) {
    this.lastTick = Math.floor(this.now() / resolutionMs);
  }

  schedule(item: Timed): void {
    const tick = Math.max(Math.ceil(item.deadline / this.resolutionMs), this.lastTick + 1);
    let slot = this.slots.get(tick);
    if (!slot) this.slots.set(tick, (slot = new Set()));
    slot.add(item);
    if (!this.interval) {
      this.interval = setInterval(() => this.advance(), this.resolutionMs);
      this.interval.unref();
    }
  }

  private advance(): void {
    const now = this.now();
    const current = Math.floor(now / this.resolutionMs);
    for (let tick = this.lastTick + 1; tick <= current; tick++) {
      const slot = this.slots.get(tick);
      if (!slot) continue;
      this.slots.delete(tick);
      for (const item of slot) {
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
  }
}
