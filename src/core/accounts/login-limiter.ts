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
    return this.count(`n:${name.toLowerCase()}`, now) >= this.perName || this.count(`a:${address}`, now) >= this.perAddress;
  }

  fail(name: string, address: string, now = Date.now()): void {
    for (const key of [`n:${name.toLowerCase()}`, `a:${address}`]) {
      const list = this.failures.get(key) ?? [];
      list.push(now);
      this.failures.set(key, list);
    }
    if (this.failures.size > this.maxKeys) this.sweep(now);
  }

  succeed(name: string): void {
    this.failures.delete(`n:${name.toLowerCase()}`);
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
