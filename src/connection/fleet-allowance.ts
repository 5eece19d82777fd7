import type { Config } from "../config/schema.js";
import type { Counters } from "../engine/broker/types.js";
import type { Logger } from "../observability/log.js";

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
    return this.counters.incr(`${this.prefix}:${key}`, windowMs).then(
      (count) => count <= burst,
      (err: unknown) => {
        // A broker outage does not stop the service: the request goes through uncounted.
        this.log.warn({ err, counter: this.prefix }, "request not counted");
        return true;
      },
    );
  }
}
