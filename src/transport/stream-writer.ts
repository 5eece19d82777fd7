import type { ServerResponse } from "node:http";
import { markDirty, type Flushable } from "./flush.js";
import type { Timed, TimerWheel } from "./timer-wheel.js";

export interface StreamHooks {
  /** The stream has been quiet for the keep-alive period: write something (a comment, a `noop`). */
  keepAlive(): void;
  /** The reader let more than the bound pile up: the response was destroyed. */
  cutOff(): void;
  /** The response is over (ended here, destroyed, or the client went away); called once. */
  gone(): void;
  /** A turn's write reached the open response. */
  flushed?(): void;
}

/**
 * A held-open HTTP response written as a stream (SSE, fuse's `/pull`):
 * chunks gathered during a turn go out in one corked write, a keep-alive
 * comes when it has been quiet for `quietMs` (on the shared wheel, no timer
 * of its own), and a reader whose unsent backlog passes `maxQueueBytes` is
 * cut off rather than buffered.
 */
export class StreamWriter implements Flushable, Timed {
  deadline: number;
  private chunks: Array<Buffer | string> = [];
  private over = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly wheel: TimerWheel,
    private readonly maxQueueBytes: number,
    private readonly quietMs: number,
    private readonly hooks: StreamHooks,
  ) {
    this.deadline = Date.now() + quietMs;
    wheel.schedule(this);
    res.once("close", () => this.stop());
  }

  get open(): boolean {
    return !this.over && !this.res.destroyed;
  }

  /** What the kernel has not taken yet: the reader's debt. */
  get backlog(): number {
    return this.res.writableLength;
  }

  /** Queues a chunk for this turn's write; false when the reader was cut off instead. */
  write(chunk: Buffer | string): boolean {
    if (!this.open) return false;
    if (this.res.writableLength > this.maxQueueBytes) {
      this.cut();
      return false;
    }
    this.chunks.push(chunk);
    markDirty(this);
    return true;
  }

  /** Forces a write at the end of this turn even with nothing queued (for callers waiting on `flush`). */
  touch(): void {
    if (this.open) markDirty(this);
  }

  flush(): void {
    const batch = this.chunks;
    this.chunks = [];
    if (!this.open) return;
    if (batch.length > 0) {
      const socket = this.res.socket;
      socket?.cork();
      for (const chunk of batch) this.res.write(chunk);
      socket?.uncork();
      if (this.res.writableLength > this.maxQueueBytes) return this.cut();
      // Written: no keep-alive is due before another quiet period.
      this.deadline = Date.now() + this.quietMs;
    }
    this.hooks.flushed?.();
  }

  onDeadline(now: number): void {
    if (!this.open) return;
    this.hooks.keepAlive();
    this.deadline = now + this.quietMs;
    this.wheel.schedule(this);
  }

  /** Writes what is queued and `last`, then ends the response. */
  end(last?: string): void {
    if (!this.open) return;
    this.flush();
    if (!this.open) return;
    this.res.end(last);
    this.stop();
  }

  destroy(): void {
    this.chunks = [];
    this.res.destroy();
    this.stop();
  }

  private cut(): void {
    this.destroy();
    this.hooks.cutOff();
  }

  private stop(): void {
    if (this.over) return;
    this.over = true;
    this.chunks = [];
    this.wheel.cancel(this);
    this.hooks.gone();
  }
}
