import type { Counters } from "../../engine/broker/types.js";

/** The store folds names with NFC and lower case: so does the counter, or each spelling would get its own allowance. */
const nameKey = (scope: string, name: string) => `${scope}:n:${name.normalize("NFC").toLowerCase()}`;
const addressKey = (scope: string, address: string) => `${scope}:a:${address}`;

/**
 * Counts failed logins per name and per address in a fixed window that starts
 * at the first failure; once a key has too many, further attempts are refused
 * without checking the password. The counts are the fleet's (broker counters),
 * so N nodes do not give an attacker N times the allowance, and they expire
 * with their window, so memory stays bounded.
 */
export class LoginLimiter {
  constructor(
    private readonly counters: Counters,
    /** Keeps the counts of one way in (HTTP/JWT logins, fuse logins) apart from another's. */
    private readonly scope: string,
    private readonly perName: number,
    private readonly perAddress: number,
    private readonly windowMs: number,
  ) {}

  async blocked(name: string, address: string): Promise<boolean> {
    const [byName, byAddress] = await Promise.all([
      this.counters.get(nameKey(this.scope, name)),
      this.counters.get(addressKey(this.scope, address)),
    ]);
    return byName >= this.perName || byAddress >= this.perAddress;
  }

  async fail(name: string, address: string): Promise<void> {
    await Promise.all([
      this.counters.incr(nameKey(this.scope, name), this.windowMs),
      this.counters.incr(addressKey(this.scope, address), this.windowMs),
    ]);
  }

  /** A success clears the name's count, not the address's: one good password must not unlock guessing others. */
  succeed(name: string): Promise<void> {
    return this.counters.reset(nameKey(this.scope, name));
  }
}
