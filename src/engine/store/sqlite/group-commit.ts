import type { Database } from "better-sqlite3";
import { since, type EngineObserver } from "../../observer.js";

/** Writes of one kind that run better together (one statement for many rows): consecutive ones share one call. */
export interface Pooled<I, R> {
  /** Runs inside the batch transaction; one result per item, in order. */
  writeAll(items: readonly I[]): R[];
}

interface Settle {
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

interface Single extends Settle {
  write: () => unknown;
}

interface Pool {
  readonly pooled: Pooled<unknown, unknown>;
  readonly items: unknown[];
  readonly settles: Settle[];
}

type Pending = Single | Pool;

/**
 * Batches every write queued during one event-loop turn into a single transaction:
 * one fsync-bearing commit serves many appends, which is what makes per-message
 * durability affordable. A write's promise settles only after its batch committed;
 * if the transaction fails, every write of the batch rejects (nothing of it is kept).
 * Writes run in the order they were queued; pooled writes queued one after another
 * run as one call, still in their place in that order.
 */
export class GroupCommit {
  private queue: Pending[] = [];
  private scheduled: NodeJS.Immediate | null = null;
  private closed = false;
  private readonly commit: (batch: Pending[]) => unknown[][];

  constructor(
    db: Database,
    private readonly observer: EngineObserver = {},
  ) {
    const tx = db.transaction((batch: Pending[]) => batch.map((p) => ("write" in p ? [p.write()] : p.pooled.writeAll(p.items))));
    // IMMEDIATE takes the write lock up front, so a second connection makes us wait
    // (busy_timeout) instead of failing a deferred read-to-write upgrade.
    this.commit = (batch) => tx.immediate(batch);
  }

  /** Queues `write` (run synchronously inside the batch transaction); resolves with its result after commit. */
  enqueue<T>(write: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new Error("store is closed"));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ write, resolve: resolve as (value: unknown) => void, reject });
      this.schedule();
    });
  }

  /** Queues one item for `pooled`, joining the previous write when it is the same pool's. */
  enqueuePooled<I, R>(pooled: Pooled<I, R>, item: I): Promise<R> {
    if (this.closed) return Promise.reject(new Error("store is closed"));
    return new Promise<R>((resolve, reject) => {
      const tail = this.queue[this.queue.length - 1];
      const settle = { resolve: resolve as (value: unknown) => void, reject };
      if (tail && "pooled" in tail && tail.pooled === pooled) {
        tail.items.push(item);
        tail.settles.push(settle);
      } else this.queue.push({ pooled: pooled as Pooled<unknown, unknown>, items: [item], settles: [settle] });
      this.schedule();
    });
  }

  /** Commits everything queued so far, now rather than at the end of the turn. */
  async flush(): Promise<void> {
    this.run();
  }

  async close(): Promise<void> {
    this.run();
    this.closed = true;
  }

  private schedule(): void {
    this.scheduled ??= setImmediate(() => this.run());
  }

  private run(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = null;
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    let results: unknown[][];
    const start = performance.now();
    try {
      results = this.commit(batch);
    } catch (error) {
      for (const p of batch) for (const s of "write" in p ? [p] : p.settles) s.reject(error);
      return;
    }
    const ms = since(start);
    let writes = 0;
    batch.forEach((p, i) => {
      if ("write" in p) {
        p.resolve(results[i][0]);
        writes++;
      } else {
        p.settles.forEach((s, j) => s.resolve(results[i][j]));
        writes += p.settles.length;
      }
    });
    this.observer.commit?.(ms, writes);
  }
}
