import type { Database } from "better-sqlite3";
import { since, type EngineObserver } from "../../observer.js";

interface Pending {
  write: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Batches every write queued during one event-loop turn into a single transaction:
 * one fsync-bearing commit serves many appends, which is what makes per-message
 * durability affordable. A write's promise settles only after its batch committed;
 * if the transaction fails, every write of the batch rejects (nothing of it is kept).
 */
export class GroupCommit {
  private queue: Pending[] = [];
  private scheduled: NodeJS.Immediate | null = null;
  private closed = false;
  private readonly commit: (batch: Pending[]) => unknown[];

  constructor(
    db: Database,
    private readonly observer: EngineObserver = {},
  ) {
    const tx = db.transaction((batch: Pending[]) => batch.map((p) => p.write()));
    // IMMEDIATE takes the write lock up front, so a second connection makes us wait
    // (busy_timeout) instead of failing a deferred read-to-write upgrade.
    this.commit = (batch) => tx.immediate(batch);
  }

  /** Queues `write` (run synchronously inside the batch transaction); resolves with its result after commit. */
  enqueue<T>(write: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new Error("store is closed"));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ write, resolve: resolve as (value: unknown) => void, reject });
      this.scheduled ??= setImmediate(() => this.run());
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

  private run(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = null;
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    let results: unknown[];
    const start = performance.now();
    try {
      results = this.commit(batch);
    } catch (error) {
      for (const p of batch) p.reject(error);
      return;
    }
    const ms = since(start);
    batch.forEach((p, i) => p.resolve(results[i]));
    this.observer.commit?.(ms, batch.length);
  }
}
