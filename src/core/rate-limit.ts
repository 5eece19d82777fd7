/**
 * A token bucket kept as two numbers on the connection: no timer per
 * connection, refilled lazily when a frame arrives.
 */
export class TokenBucket {
  private tokens: number;
  private stamp: number;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    now: number = Date.now(),
  ) {
    this.tokens = burst;
    this.stamp = now;
  }

  take(now: number = Date.now()): boolean {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.stamp) / 1000) * this.perSecond);
    this.stamp = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
