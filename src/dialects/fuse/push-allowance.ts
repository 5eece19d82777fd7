import type { Fuse } from "./context.js";

/** The longest counting window, however slow `limits.messagesPerSecond` is. */
const MAX_WINDOW_MS = 3_600_000;

/**
 * How many pushes a session (or, before login, an address) may make, counted
 * by the whole fleet (`broker.counters`), so that N nodes behind a balancer do
 * not give N times the allowance. A fixed window of `limits.burst /
 * limits.messagesPerSecond` seconds (at least one) allows `limits.burst`
 * lines: over time that is the rate of the WebSocket's token bucket; at a
 * window's edge up to twice the burst may pass.
 */
export class PushAllowance {
  constructor(private readonly f: Fuse) {}

  /** Counts one line under `key`; false when it is over the allowance. */
  take(key: string): Promise<boolean> {
    const { messagesPerSecond, burst } = this.f.ctx.config.limits;
    const windowMs = Math.min(MAX_WINDOW_MS, Math.max(1000, Math.ceil((burst / messagesPerSecond) * 1000)));
    return this.f.ctx.core.broker.counters.incr(`fuse-push:${key}`, windowMs).then(
      (count) => count <= burst,
      (err: unknown) => {
        // A broker outage does not stop the game: the line goes through uncounted.
        this.f.ctx.log.warn({ err, dialect: "fuse" }, "fuse push not counted");
        return true;
      },
    );
  }
}
