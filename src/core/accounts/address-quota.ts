import type { Counters } from "../../engine/broker/types.js";

/**
 * At most `limit` actions per address in a fixed window: what keeps one client
 * from minting accounts or stored session keys without end. Counted by the
 * fleet (broker counters), so every node draws on the same allowance.
 */
export class AddressQuota {
  constructor(
    private readonly counters: Counters,
    private readonly scope: string,
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** Counts one action; false when the address is over its quota. */
  async take(address: string): Promise<boolean> {
    return (await this.counters.incr(`${this.scope}:${address}`, this.windowMs)) <= this.limit;
  }
}
