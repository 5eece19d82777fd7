// Keeps one socket's outbound frames under the server's flood limit (a token
// bucket per connection, 50 frames/s with a burst of 100 by default). Frames
// over the limit would be refused with 429 and lost; here they wait instead.

export interface RateOptions {
  /** Frames per second once the burst is spent (default 40: a margin under the server's 50). */
  perSecond?: number;
  /** Frames that may go at once (default 80: a margin under the server's 100). */
  burst?: number;
}

export interface Outgoing {
  text: string;
  /** Told `true` once the frame is written to the socket, `false` if the socket went before that. */
  done?: (sent: boolean) => void;
}

export class Pacer {
  private readonly perSecond: number;
  private readonly burst: number;
  private tokens: number;
  private last = Date.now();
  private readonly queue: Outgoing[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;

  constructor(
    rate: RateOptions | false,
    private readonly write: (text: string) => void,
  ) {
    this.perSecond = rate === false ? Number.POSITIVE_INFINITY : (rate.perSecond ?? 40);
    this.burst = rate === false ? Number.POSITIVE_INFINITY : (rate.burst ?? 80);
    this.tokens = this.burst;
  }

  push(item: Outgoing): void {
    if (this.stopped) return item.done?.(false);
    this.queue.push(item);
    this.flush();
  }

  /** Takes a frame back before it is written; true when it was still waiting. */
  remove(item: Outgoing): boolean {
    const i = this.queue.indexOf(item);
    if (i < 0) return false;
    this.queue.splice(i, 1);
    return true;
  }

  /** Frames still waiting; the pacer sends nothing more. */
  stop(): Outgoing[] {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    return this.queue.splice(0);
  }

  private refill(): void {
    const now = Date.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
  }

  private flush(): void {
    if (this.timer) return;
    this.refill();
    while (this.queue.length > 0 && this.tokens >= 1 && !this.stopped) {
      this.tokens -= 1;
      const item = this.queue.shift()!;
      this.write(item.text);
      item.done?.(true);
    }
    if (this.queue.length > 0 && !this.stopped) {
      const wait = Math.max(1, Math.ceil(((1 - this.tokens) / this.perSecond) * 1000));
      this.timer = setTimeout(() => {
        this.timer = null;
        this.flush();
      }, wait);
    }
  }
}
