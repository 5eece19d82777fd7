import type { ServerResponse } from "node:http";
import type { Reader } from "../../transport/mailbox.js";
import { StreamWriter } from "../../transport/stream-writer.js";
import type { TimerWheel } from "../../transport/timer-wheel.js";

/**
 * One held-open `/pull` response: lines (or SSE events) written once per
 * event-loop turn, `noop` whenever it has been idle for `noopMs`, and cut off
 * when the reader falls too far behind (the transport's stream writer does
 * all three).
 */
export class PullStream implements Reader {
  readonly mode = "stream";
  private readonly out: StreamWriter;

  constructor(
    res: ServerResponse,
    private readonly sse: boolean,
    noopMs: number,
    wheel: TimerWheel,
    maxQueueBytes: number,
  ) {
    this.out = new StreamWriter(res, wheel, maxQueueBytes, noopMs, { keepAlive: () => this.write("noop"), cutOff: () => undefined, gone: () => undefined });
    this.write("noop");
  }

  get open(): boolean {
    return this.out.open;
  }

  write(line: string): void {
    this.out.write(this.sse ? `data: ${line}\n\n` : `${line}\n`);
  }

  take(lines: string[]): boolean {
    for (const line of lines) this.write(line);
    return true;
  }

  /** Sends what is queued and ends the response. */
  end(): void {
    this.out.end();
  }
}
