import type { Config } from "../config/schema.js";
import type { Core } from "../core/core.js";
import { TokenBucket } from "../core/rate-limit.js";
import type { Logger } from "../observability/log.js";
import type { Metrics } from "../observability/metrics.js";
import type { TimerWheel } from "../transport/timer-wheel.js";

/**
 * A user's connections on this node together may send this many times what
 * one connection may: opening more connections (cheap over the HTTP
 * transports) does not multiply a user's allowance without bound.
 */
export const USER_SHARE = 4;

/** How long shutdown waits for clients to answer the close. */
const DRAIN_WAIT_MS = 1500;
/** Then how long it waits for the connections it cut off to finish their cleanup (leave rooms, record cursors). */
const CLEANUP_WAIT_MS = 3000;

/** What the registry needs of a connection to drain it. */
export interface Drainable {
  close(code: number, reason: string): void;
  terminate(): void;
  /** Settles once the connection closed and its dialect's cleanup ran. */
  readonly finished: Promise<void>;
}

/** One user's shared allowance, held by each of its connections on this node. */
export class UserAllowance {
  holders = 0;
  readonly bucket: TokenBucket;

  constructor(
    readonly userId: string,
    perSecond: number,
    burst: number,
  ) {
    this.bucket = new TokenBucket(perSecond * USER_SHARE, burst * USER_SHARE);
  }
}

/** Resolves when every promise settled or after `ms`, whichever comes first. */
async function settledWithin(promises: Array<Promise<unknown>>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, ms))));
  await Promise.race([Promise.allSettled(promises), timeout]);
  clearTimeout(timer);
}

/**
 * Every client connection of this node, whatever its dialect and transport:
 * the services they share, the per-user allowances, and the drain on
 * shutdown.
 */
export class Clients {
  private readonly open = new Set<Drainable>();
  private readonly users = new Map<string, UserAllowance>();

  constructor(
    readonly core: Core,
    readonly config: Config,
    readonly log: Logger,
    readonly metrics: Metrics,
    readonly wheel: TimerWheel,
  ) {}

  get size(): number {
    return this.open.size;
  }

  add(conn: Drainable): void {
    this.open.add(conn);
  }

  remove(conn: Drainable): void {
    this.open.delete(conn);
  }

  /** The user's allowance on this node, shared by its connections; `release` it when the connection ends or changes user. */
  allowance(userId: string): UserAllowance {
    let found = this.users.get(userId);
    if (!found) this.users.set(userId, (found = new UserAllowance(userId, this.config.limits.messagesPerSecond, this.config.limits.burst)));
    found.holders += 1;
    return found;
  }

  release(allowance: UserAllowance): void {
    allowance.holders -= 1;
    if (allowance.holders <= 0 && this.users.get(allowance.userId) === allowance) this.users.delete(allowance.userId);
  }

  /** Users with an allowance on this node (it follows the open connections, not the closed ones). */
  get allowances(): number {
    return this.users.size;
  }

  /**
   * Shutdown: every connection gets a 1001 close (no dialect has a goodbye of
   * its own); those whose clients do not answer in time are cut off; then the
   * wait is for every cleanup to have run, while the store is still open — a
   * pubsub session records its final cursors, members leave their rooms. All
   * of it ends by `until`, whatever the clients do.
   */
  async drain(until: number = Date.now() + DRAIN_WAIT_MS + CLEANUP_WAIT_MS): Promise<void> {
    const all = [...this.open];
    for (const conn of all) conn.close(1001, "server shutting down");
    // Both waits fit before `until` (the shutdown's budget): half of what is left for the answers, the rest for the cleanup.
    await settledWithin(all.map((c) => c.finished), Math.min(DRAIN_WAIT_MS, (until - Date.now()) / 2));
    const left = [...this.open];
    for (const conn of left) conn.terminate();
    await settledWithin(left.map((c) => c.finished), Math.min(CLEANUP_WAIT_MS, until - Date.now()));
  }
}
