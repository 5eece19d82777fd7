import type { Config } from "../config/schema.js";
import type { Core } from "../core/core.js";
import { Rate, rateClock, spent, TOKEN } from "../core/rate-limit.js";
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

/** Where a user's allowance on this node is kept: its limits and its bucket (see `Rate`). */
export interface UserBucket {
  userRate: Rate | null;
  userTokens: number;
  userStamp: number;
}

/**
 * A connection that acts as a user. While it is the user's only connection on
 * this node the user's allowance is kept on it (no object of its own: most
 * users have one connection); from the second on they share a `UserAllowance`.
 */
export interface AllowanceHolder extends UserBucket {
  sharedAllowance: UserAllowance | null;
}

/** One user's allowance, shared by its connections on this node once it has more than one. */
export class UserAllowance implements UserBucket {
  /** Made for the user's second connection. */
  holders = 2;

  constructor(
    readonly userId: string,
    public userRate: Rate,
    public userTokens: number,
    public userStamp: number,
  ) {}
}

/** The buckets' limits under one setting of `limits`: a connection's own, and a user's (USER_SHARE times as much). */
interface Rates {
  readonly connection: Rate;
  readonly user: Rate;
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
  /** Per user: its only connection on this node (which keeps the allowance), or the allowance its connections share. */
  private readonly users = new Map<string, AllowanceHolder | UserAllowance>();
  private currentRates: Rates | null = null;

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

  /** The limits a connection opening now gets (one object for all while the settings stay the same). */
  connectionRate(): Rate {
    return this.rates().connection;
  }

  /** The connection acts as the user from now on: it draws on the user's allowance on this node; `leave` when it ends or changes user. */
  join(userId: string, holder: AllowanceHolder): void {
    const found = this.users.get(userId);
    if (found === undefined) {
      const rate = this.rates().user;
      holder.userRate = rate;
      holder.userTokens = rate.full;
      holder.userStamp = rateClock();
      this.users.set(userId, holder);
      return;
    }
    let shared: UserAllowance;
    if (found instanceof UserAllowance) {
      shared = found;
      shared.holders += 1;
    } else {
      // The user's second connection: the first one's bucket, as it stands, becomes the one they share.
      shared = new UserAllowance(userId, found.userRate!, found.userTokens, found.userStamp);
      found.sharedAllowance = shared;
      this.users.set(userId, shared);
    }
    holder.sharedAllowance = shared;
  }

  leave(userId: string, holder: AllowanceHolder): void {
    const shared = holder.sharedAllowance;
    holder.sharedAllowance = null;
    const entry = this.users.get(userId);
    if (shared === null) {
      if (entry === holder) this.users.delete(userId);
      return;
    }
    shared.holders -= 1;
    if (shared.holders <= 0 && entry === shared) this.users.delete(userId);
  }

  /** Takes one message at `now` from the allowance of the user the holder acts as; false when it is spent. */
  takeForUser(holder: AllowanceHolder, now: number): boolean {
    const bucket: UserBucket = holder.sharedAllowance ?? holder;
    const tokens = bucket.userRate!.refilled(bucket.userTokens, bucket.userStamp, now);
    bucket.userTokens = spent(tokens);
    bucket.userStamp = now;
    return tokens >= TOKEN;
  }

  private rates(): Rates {
    const { messagesPerSecond, burst } = this.config.limits;
    const known = this.currentRates;
    if (known !== null && known.connection.perSecond === messagesPerSecond && known.connection.burst === burst) return known;
    return (this.currentRates = { connection: new Rate(messagesPerSecond, burst), user: new Rate(messagesPerSecond * USER_SHARE, burst * USER_SHARE) });
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
