import type { Claims } from "../engine/broker/types.js";
import { randomId } from "./identity.js";
import { KeyedQueue } from "./serial.js";

/** A holder that dies mid-section frees the lock after this long. */
const LOCK_TTL_MS = 10_000;
/** Waiting longer than this for a lock means something is stuck: fail the caller rather than hang it. */
const WAIT_LIMIT_MS = 15_000;

/**
 * Runs async work one at a time per key across the whole fleet: this node's
 * callers queue locally (no broker round trips among themselves), and the
 * queue's head takes a short-lived broker claim so other nodes' sections on
 * the same key wait. What a game room's capacity and lock need to hold with
 * players arriving through several nodes at once.
 */
export class ClusterLock {
  private readonly local = new KeyedQueue();

  constructor(
    private readonly claims: Claims,
    private readonly node: string,
  ) {}

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    return this.local.run(key, async () => {
      const claim = `lock:${key}`;
      const owner = `${this.node}/${randomId(8)}`;
      const deadline = Date.now() + WAIT_LIMIT_MS;
      for (let delay = 2; !(await this.claims.claim(claim, owner, LOCK_TTL_MS)); delay = Math.min(delay * 2, 50)) {
        if (Date.now() > deadline) throw new Error(`lock ${key}: still held elsewhere after ${WAIT_LIMIT_MS} ms`);
        await new Promise((resolve) => setTimeout(resolve, delay * (0.5 + Math.random())));
      }
      try {
        return await work();
      } finally {
        await this.claims.release(claim, owner).catch(() => undefined);
      }
    });
  }
}
