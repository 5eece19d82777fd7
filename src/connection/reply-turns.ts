import { KeyedQueue } from "../core/serial.js";

/** Counts one request under a key; false when the key is over its allowance (`FleetAllowance` is one). */
export interface Allowance {
  take(key: string): Promise<boolean>;
}

/** One request in a `ReplyTurns`: the work it asks for, and how its answer is given. */
export interface Exchange<T> {
  /** Runs once the request is counted. */
  work(): Promise<T>;
  /** Gives the work's result, in the request's turn. */
  answer(result: T): void | Promise<void>;
  /** Says the allowance refused the request, in its turn. */
  refused(): void | Promise<void>;
}

type Outcome<T> = { ok: true; value: T } | { ok: false };

const ALLOWED: Promise<boolean> = Promise.resolve(true);

/**
 * Request/reply exchanges where each request is its own HTTP request (fuse's
 * `/push`): the connection layer's ordering and rate limit for a client that
 * has no connection, only a key (its session, or its address before it has
 * one). Each request is counted under its key before it runs, refusals
 * included; its work starts at once, without waiting for the earlier
 * requests of its key (one of them may be slow), but the answers leave in
 * the order the requests came.
 */
export class ReplyTurns {
  private readonly turns = new KeyedQueue();
  private readonly routes = new KeyedQueue();

  constructor(private readonly allowance: Allowance) {}

  /** Counts the request under `key`, runs it, and answers it in its turn. Resolves once it was answered; rejects with what `work` or `answer` threw. */
  run<T>(key: string, exchange: Exchange<T>): Promise<void> {
    return this.inTurn(key, this.allowance.take(key), exchange);
  }

  /** A request another node counted where it arrived: here it only runs and takes its turn. */
  follow<T>(key: string, exchange: Omit<Exchange<T>, "refused">): Promise<void> {
    return this.inTurn(key, ALLOWED, { ...exchange, refused: () => undefined });
  }

  private inTurn<T>(key: string, allowed: Promise<boolean>, exchange: Exchange<T>): Promise<void> {
    const outcome = allowed.then(async (ok): Promise<Outcome<T>> => (ok ? { ok: true, value: await exchange.work() } : { ok: false }));
    // Awaited in its turn, which may come after it failed: it must not count as unhandled meanwhile.
    outcome.catch(() => undefined);
    return this.turns.run(key, async () => {
      const done = await outcome;
      return done.ok ? exchange.answer(done.value) : exchange.refused();
    });
  }

  /**
   * For requests whose key is known only after an async lookup (which
   * session, on which node): the lookups of one `route` key run one at a
   * time, and each request takes its place in its turn (`place` calls `run`)
   * before the next lookup starts, so requests keep their order through the
   * lookup. Resolves once the request was answered.
   */
  async routed<R>(route: string, locate: () => Promise<R>, place: (found: R) => Promise<void>): Promise<void> {
    let placed: Promise<void> = Promise.resolve();
    await this.routes.run(route, async () => {
      placed = place(await locate());
      placed.catch(() => undefined);
    });
    await placed;
  }
}
