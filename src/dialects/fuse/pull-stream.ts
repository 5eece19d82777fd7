import type { ServerResponse } from "node:http";
import { markDirty, type Flushable } from "../../transport/flush.js";
import type { Timed, TimerWheel } from "../../transport/timer-wheel.js";

/**
 * One held-open `/pull` response: lines (or SSE events) written once per
 * event-loop turn, `noop` whenever it has been idle for `noopMs` (on the
 * shared wheel), and cut off when the reader falls too far behind.
 */
export class PullStream implements Timed, Flushable {
  deadline: number;
  private queue: string[] = [];
  private ended = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly sse: boolean,
    private readonly noopMs: number,
    private readonly wheel: TimerWheel,
    private readonly maxQueueBytes: number,
  ) {
    this.deadline = Date.now() + noopMs;
    wheel.schedule(this);
    res.once("close", () => this.stop());
    this.write("noop");
  }

  get open(): boolean {
    return !this.ended;
  }

  write(line: string): void {
    if (this.ended) return;
    this.queue.push(this.sse ? `data: ${line}\n\n` : `${line}\n`);
    this.deadline = Date.now() + this.noopMs;
    markDirty(this);
  }

  flush(): void {
    if (this.ended || this.queue.length === 0) return;
    const chunk = this.queue.join("");
    this.queue = [];
    this.res.write(chunk);
    if (this.res.writableLength > this.maxQueueBytes) {
      this.stop();
      this.res.destroy();
    }
  }

  onDeadline(): void {
    if (this.ended) return;
    this.write("noop");
    this.wheel.schedule(this);
  }

  /** Sends what is queued and ends the response. */
  end(): void {
    if (this.ended) return;
    this.flush();
    this.stop();
    this.res.end();
  }

  private stop(): void {
    this.ended = true;
    this.wheel.cancel(this);
    this.queue = [];
  }
}
