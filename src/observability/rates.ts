import type { Counter } from "prom-client";
import type { Metrics } from "./metrics.js";

/** This node's messages per second, as the admin dashboard shows them. */
export interface MessageRates {
  messagesIn: number;
  messagesOut: number;
}

interface Sample {
  at: number;
  in: number;
  out: number;
}

const SAMPLE_MS = 1000;

/** A counter's total over all its labels (every dialect). */
async function total(counter: Counter): Promise<number> {
  return (await counter.get()).values.reduce((sum, v) => sum + v.value, 0);
}

/**
 * Reads the messages-in and -out counters once a second and keeps the rate
 * between the last two readings: the dashboard asks every second and must not
 * wait for a Prometheus to do the arithmetic. Zero until a second has passed,
 * which is true of a server that just started.
 */
export class RateSampler {
  private last: Sample | null = null;
  private current: MessageRates = { messagesIn: 0, messagesOut: 0 };
  private readonly timer: NodeJS.Timeout;
  private sampling = false;

  constructor(private readonly metrics: Metrics) {
    void this.sample();
    this.timer = setInterval(() => void this.sample(), SAMPLE_MS);
    // Never the reason a process stays up.
    this.timer.unref();
  }

  rates(): MessageRates {
    return { ...this.current };
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async sample(): Promise<void> {
    if (this.sampling) return;
    this.sampling = true;
    try {
      const now: Sample = { at: performance.now(), in: await total(this.metrics.messagesIn), out: await total(this.metrics.messagesOut) };
      const last = this.last;
      this.last = now;
      const seconds = last ? (now.at - last.at) / 1000 : 0;
      // A late timer (a busy loop) stretches the interval: divide by the time that really passed.
      if (last && seconds > 0) this.current = { messagesIn: (now.in - last.in) / seconds, messagesOut: (now.out - last.out) / seconds };
    } finally {
      this.sampling = false;
    }
  }
}
