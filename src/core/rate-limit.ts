/** Where rate-limit clocks start: times since it stay small integers (kept in an object's field without a box of their own). */
const EPOCH = Date.now();

/**
 * Milliseconds on the rate-limit clock. Rounded on purpose: `Math.floor`
 * hands back a small integer as such, where a bare difference of two dates
 * is a boxed double, and one box stored in a field makes every object of
 * that shape keep its own box for the field (for the first 24 days of
 * uptime; the numbers stay right after that, only boxed).
 */
export const rateClock = (): number => Math.floor(Date.now() - EPOCH);

/** One token, in the thousandths a bucket counts in: a refill of `perSecond` per second is then `perSecond` per millisecond, a whole number for a whole rate. */
export const TOKEN = 1000;

/**
 * A token bucket's limits (`burst` tokens, refilled at `perSecond`), shared by
 * every bucket made under them. A bucket itself is two numbers its owner
 * keeps — its tokens (in thousandths) and when they were counted (on
 * `rateClock`) — with no timer: it is refilled lazily when a message arrives.
 * Both stay small integers for whole rates, so they cost their owner two
 * fields and nothing more.
 */
export class Rate {
  /** A full bucket, in thousandths of a token. */
  readonly full: number;

  constructor(
    readonly perSecond: number,
    readonly burst: number,
  ) {
    this.full = burst * TOKEN;
  }

  /** What a bucket that held `tokens` at `stamp` holds at `now`. */
  refilled(tokens: number, stamp: number, now: number): number {
    return Math.min(this.full, tokens + (now - stamp) * this.perSecond);
  }
}

/** What is left of `tokens` after one message: a token less, or all of it when there is not a whole token (the message is refused). */
export const spent = (tokens: number): number => (tokens >= TOKEN ? tokens - TOKEN : tokens);
