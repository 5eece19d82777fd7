/** The store folds names with NFC and lower case: so does the counter, or each spelling would get its own allowance. */
const nameKey = (name: string) => `n:${name.normalize("NFC").toLowerCase()}`;

/**
 * Counts failed logins per name and per address in a sliding window; once a
 * key has too many, further attempts are refused without checking the
 * password. Memory stays bounded: stale keys are swept as new ones arrive.
 */
export class LoginLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly perName: number,
    private readonly perAddress: number,
    private readonly windowMs: number,
    private readonly maxKeys = 100_000,
  ) {}

  blocked(name: string, address: string, now = Date.now()): boolean {
    return this.count(nameKey(name), now) >= this.perName || this.count(`a:${address}`, now) >= this.perAddress;
  }

  fail(name: string, address: string, now = Date.now()): void {
    for (const key of [nameKey(name), `a:${address}`]) {
      const list = this.failures.get(key) ?? [];
      list.push(now);
      // Re-inserted so the map's order is by latest failure: a flood sweep then drops idle keys, not one under attack.
      this.failures.delete(key);
      this.failures.set(key, list);
    }
    if (this.failures.size > this.maxKeys) this.sweep(now);
  }

  succeed(name: string): void {
    this.failures.delete(nameKey(name));
  }

  /** How many names and addresses are being counted: what memory the limiter holds. */
  get size(): number {
    return this.failures.size;
  }

  private count(key: string, now: number): number {
    const list = this.failures.get(key);
    if (!list) return 0;
    const fresh = list.filter((t) => now - t < this.windowMs);
    if (fresh.length === 0) this.failures.delete(key);
    else this.failures.set(key, fresh);
    return fresh.length;
  }

  private sweep(now: number): void {
    for (const key of [...this.failures.keys()]) this.count(key, now);
    // Still too many (an attack across many keys): drop the oldest half.
    if (this.failures.size > this.maxKeys) [...this.failures.keys()].slice(0, this.failures.size / 2).forEach((k) => this.failures.delete(k));
  }
}
