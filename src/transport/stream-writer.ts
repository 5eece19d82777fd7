import type { ServerResponse } from "node:http";
import { markDirty, type Flushable } from "./flush.js";
import { SLOW_READER_CLOSE_MS, WRITE_AHEAD_BYTES } from "./slow-reader.js";
import type { Timed, TimerWheel } from "./timer-wheel.js";

export interface StreamHooks {
  /** The stream has been quiet for the keep-alive period: write something (a comment, a `noop`). */
  keepAlive(): void;
  /**
   * The reader let more than the bound pile up. What it returns is the
   * stream's last chunk (an SSE `close` event saying why); nothing: the
   * response is destroyed at once.
   */
  cutOff(): string | undefined | void;
  /** The response is over (ended here, destroyed, or the client went away); called once. */
  gone(): void;
  /** A turn's write reached the open response. */
  flushed?(): void;
}

/**
 * A held-open HTTP response written as a stream (SSE, fuse's `/pull`):
 * chunks gathered during a turn go out in one corked write, a keep-alive
 * comes when it has been quiet for `quietMs` (on the shared wheel, no timer
 * of its own). While the response holds more than `WRITE_AHEAD_BYTES`
 * unsent, chunks wait here until it drains; a reader whose debt passes
 * `maxQueueBytes` is cut off rather than buffered.
 */
export class StreamWriter implements Flushable, Timed {
  deadline: number;
  private chunks: Array<Buffer | string> = [];
  /** Bytes in `chunks`. */
  private queued = 0;
  /** The response was behind at the last flush: everything in `chunks` waits for its drain, and is part of the reader's debt. */
  private waitingDrain = false;
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

  /** What the kernel has not taken yet, and what waits here for it: the reader's debt. */
  get backlog(): number {
    return this.res.writableLength + this.queued;
  }

  /** Unsent bytes from earlier turns: this turn's own chunks are not counted, or a burst would cut off healthy readers too. */
  private get debt(): number {
    return this.res.writableLength + (this.waitingDrain ? this.queued : 0);
  }

  /** Queues a chunk for this turn's write; false when the reader was cut off instead. */
  write(chunk: Buffer | string): boolean {
    if (!this.open) return false;
    if (this.debt > this.maxQueueBytes) {
      this.cut();
      return false;
    }
    this.chunks.push(chunk);
    this.queued += chunk.length;
    if (!this.waitingDrain) markDirty(this);
    return true;
  }

  /** Forces a write at the end of this turn even with nothing queued (for callers waiting on `flush`). */
  touch(): void {
    if (this.open) markDirty(this);
  }

  flush(): void {
    this.handOver(false);
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
    this.handOver(true);
    if (!this.open) return;
    this.res.end(last);
    this.stop();
  }

  destroy(): void {
    this.chunks = [];
    this.queued = 0;
    this.res.destroy();
    this.stop();
  }

  private handOver(all: boolean): void {
    if (!this.open) {
      this.chunks = [];
      this.queued = 0;
      return;
    }
    if (this.chunks.length > 0) {
      if (!all && this.res.writableLength >= WRITE_AHEAD_BYTES) {
        if (!this.waitingDrain) {
          this.waitingDrain = true;
          this.res.once("drain", this.drained);
        }
        if (this.debt > this.maxQueueBytes) return this.cut();
        return;
      }
      const batch = this.chunks;
      this.chunks = [];
      this.queued = 0;
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

  private readonly drained = (): void => {
    this.waitingDrain = false;
    if (this.chunks.length > 0) this.handOver(false);
  };

  /**
   * What waits here is dropped; the hook's last chunk (if any) follows what
   * the response already holds, then the response ends. A reader that does
   * not take even that in time is dropped.
   */
  private cut(): void {
    this.chunks = [];
    this.queued = 0;
    const last = this.hooks.cutOff();
    if (typeof last !== "string" || !this.open) return this.destroy();
    const res = this.res;
    res.end(last);
    this.stop();
    const timer = setTimeout(() => res.destroy(), SLOW_READER_CLOSE_MS).unref();
    res.once("close", () => clearTimeout(timer));
  }

  private stop(): void {
    if (this.over) return;
    this.over = true;
    this.chunks = [];
    this.queued = 0;
    this.wheel.cancel(this);
    this.hooks.gone();
  }
}
