/**
 * At most `limit` actions per address in a sliding window: what keeps one
 * client from minting accounts or stored session keys without end. Memory is
 * bounded by sweeping stale addresses once the map grows.
 */
export class AddressQuota {
  private readonly hits = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly maxKeys = 100_000,
  ) {}

  /** Counts one action; false (and not counted) when the address is over its quota. */
  take(address: string, now = Date.now()): boolean {
    const fresh = (this.hits.get(address) ?? []).filter((t) => now - t < this.windowMs);
    if (fresh.length >= this.limit) {
      this.hits.set(address, fresh);
      return false;
    }
    fresh.push(now);
    this.hits.delete(address); // re-insert: the map stays in least-recently-used order for the sweep
    this.hits.set(address, fresh);
    if (this.hits.size > this.maxKeys) this.sweep(now);
    return true;
  }

  private sweep(now: number): void {
    for (const [address, list] of this.hits) if (list.every((t) => now - t >= this.windowMs)) this.hits.delete(address);
    for (const address of this.hits.keys()) {
      if (this.hits.size <= this.maxKeys / 2) break;
      this.hits.delete(address);
    }
  }
}
