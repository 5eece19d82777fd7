import { Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";

/** Prometheus metrics for /metrics; one registry per server so in-process test servers do not collide. */
export class Metrics {
  readonly registry = new Registry();
  readonly connections = new Gauge({ name: "switchboard_connections", help: "Open connections", labelNames: ["dialect"], registers: [this.registry] });
  readonly framesIn = new Counter({ name: "switchboard_frames_in_total", help: "Frames received", labelNames: ["dialect"], registers: [this.registry] });
  readonly protocolErrors = new Counter({ name: "switchboard_protocol_errors_total", help: "Requests refused with a protocol error", labelNames: ["dialect", "code"], registers: [this.registry] });
  readonly slowReaders = new Counter({ name: "switchboard_slow_reader_disconnects_total", help: "Connections cut off for not reading", registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Timers waiting in the shared wheel: it should follow the open connections, not grow with the closed ones. */
  watchTimers(pending: () => number): void {
    new Gauge({
      name: "switchboard_timers_pending",
      help: "Connection timers waiting in the timer wheel",
      registers: [this.registry],
      collect() {
        this.set(pending());
      },
    });
  }
}
