import type { Config } from "../config/schema.js";
import type { Counters } from "../engine/broker/types.js";
import type { Logger } from "../observability/log.js";

const REFUSED: Promise<boolean> = Promise.resolve(false);
/** Past this many keys counted on this node, the ones whose window is over are forgotten. */
const SWEEP_AT = 10_000;

/** The longest counting window, however slow `limits.messagesPerSecond` is. */
const MAX_WINDOW_MS = 3_600_000;

/**
 * How many requests a key (an HTTP session, an address) may make, counted by
 * the whole fleet (`broker.counters`), for transports whose requests may land
 * on any node (fuse's `/push`): N nodes behind a balancer do not give N times
 * the allowance. A fixed window of `limits.burst / limits.messagesPerSecond`
 * seconds (at least one) allows `limits.burst` requests: over time that is
 * the rate of a connection's token bucket; at a window's edge up to twice the
 * burst may pass.
 */
export class FleetAllowance {
  /** This node's own count per key, in windows of the same length as the fleet's (their edges may differ). */
  private readonly here = new Map<string, { until: number; count: number }>();
  private sweepAt = SWEEP_AT;

  constructor(
    private readonly counters: Counters,
    /** Read at every request: live settings apply at once. */
    private readonly config: Config,
    /** Names the counters, so each user of an allowance counts on its own. */
    private readonly prefix: string,
    private readonly log: Logger,
  ) {}

  /** Counts one request under `key`; false when it is over the allowance. */
  take(key: string): Promise<boolean> {
    const { messagesPerSecond, burst } = this.config.limits;
    const windowMs = Math.min(MAX_WINDOW_MS, Math.max(1000, Math.ceil((burst / messagesPerSecond) * 1000)));
    // Over the burst on this node alone means over it in the fleet: refused without asking the broker, so a flood costs no round trips.
    if (!this.takeHere(key, windowMs, burst)) return REFUSED;
    return this.counters.incr(`${this.prefix}:${key}`, windowMs).then(
      (count) => count <= burst,
      (err: unknown) => {
        // A broker outage does not stop the service: the request goes through uncounted.
        this.log.warn({ err, counter: this.prefix }, "request not counted");
        return true;
      },
    );
  }

  private takeHere(key: string, windowMs: number, burst: number): boolean {
    const now = Date.now();
    let mine = this.here.get(key);
    if (mine === undefined || mine.until <= now) {
      if (this.here.size >= this.sweepAt) this.sweep(now);
      this.here.set(key, (mine = { until: now + windowMs, count: 0 }));
    }
    mine.count += 1;
    return mine.count <= burst;
  }

  /** Forgets the windows that are over: the map holds only keys active in the last window (sweeps get rarer as more are). */
  private sweep(now: number): void {
    for (const [key, window] of this.here) if (window.until <= now) this.here.delete(key);
    this.sweepAt = Math.max(SWEEP_AT, this.here.size * 2);
  }
}
