import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { AuthFailure } from "../core/accounts/accounts.js";
import type { HubObserver } from "../core/hub.js";
import type { EngineObserver } from "../engine/observer.js";

/** Seconds, from half a millisecond (an SQLite commit, a local publish) to 5 s (a database in trouble). */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
/** A publish to Redis is a round trip; in process it is microseconds. */
const PUBLISH_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];
/** Writes per group commit: PostgreSQL's batches stop at 2,000. */
const BATCH_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000];

/**
 * Prometheus metrics for /metrics; one registry per server so in-process test
 * servers do not collide. Every metric is listed, with its meaning and an
 * alert, in docs/operations.md#metrics. The layers below never import this:
 * the engine and the core report through their observer interfaces, which
 * `engine`, `hub` and `authFailed` implement.
 */
/** A dialect's per-frame counts, bumped as plain numbers on the hot path; they reach the counters when the registry is read. */
export interface DialectTally {
  framesIn: number;
  messagesIn: number;
  messagesOut: number;
}

export class Metrics {
  readonly registry = new Registry();
  private readonly on = [this.registry];
  private readonly tallies = new Map<string, DialectTally>();

  readonly connections = new Gauge({ name: "switchboard_connections", help: "Open connections", labelNames: ["dialect"], registers: this.on });
  readonly framesIn = new Counter({ name: "switchboard_frames_in_total", help: "Frames received", labelNames: ["dialect"], registers: this.on, collect: () => this.fold() });
  readonly protocolErrors = new Counter({ name: "switchboard_protocol_errors_total", help: "Requests refused with a protocol error", labelNames: ["dialect", "code"], registers: this.on });
  readonly slowReaders = new Counter({ name: "switchboard_slow_reader_disconnects_total", help: "Connections cut off for not reading", registers: this.on });

  // Counted by the connection layer (src/connection), per dialect.
  readonly messagesIn = new Counter({ name: "switchboard_messages_in_total", help: "Client requests accepted for handling (past the size, syntax and rate checks)", labelNames: ["dialect"], registers: this.on, collect: () => this.fold() });
  readonly messagesOut = new Counter({ name: "switchboard_messages_out_total", help: "Answers sent to clients (replies and refusals); fan-out frames are counted by switchboard_deliveries_total", labelNames: ["dialect"], registers: this.on, collect: () => this.fold() });
  readonly queueDrops = new Counter({ name: "switchboard_queue_drops_total", help: "Outbound frames dropped because the client's transport could no longer take them", labelNames: ["dialect"], registers: this.on });
  readonly rateLimited = new Counter({ name: "switchboard_rate_limited_total", help: "Client frames refused by a rate limit", labelNames: ["dialect"], registers: this.on });

  // Reported by the core (hub, accounts) and the admin API.
  readonly deliveries = new Counter({ name: "switchboard_deliveries_total", help: "Frames the fan-out handed to local subscribers (one per subscriber per event)", registers: this.on });
  readonly fanOutLatency = new Histogram({
    name: "switchboard_publish_to_fanout_seconds",
    help: "From a stored event's time (taken before its store commit) to its fan-out on this node",
    buckets: LATENCY_BUCKETS,
    registers: this.on,
  });
  readonly authFailures = new Counter({ name: "switchboard_auth_failures_total", help: "Refused credentials, by kind and reason", labelNames: ["credential", "reason"], registers: this.on });

  // Reported by the engine.
  readonly storeCommit = new Histogram({ name: "switchboard_store_commit_seconds", help: "Duration of one group commit (one transaction)", buckets: LATENCY_BUCKETS, registers: this.on });
  readonly storeBatch = new Histogram({ name: "switchboard_store_commit_batch_size", help: "Writes carried by one group commit", buckets: BATCH_BUCKETS, registers: this.on });
  readonly brokerPublish = new Histogram({ name: "switchboard_broker_publish_seconds", help: "Duration of one broker publish", buckets: PUBLISH_BUCKETS, registers: this.on });

  /** The dialect's tally (one object per dialect, shared by its connections). */
  tally(dialect: string): DialectTally {
    let found = this.tallies.get(dialect);
    if (!found) this.tallies.set(dialect, (found = { framesIn: 0, messagesIn: 0, messagesOut: 0 }));
    return found;
  }

  /** Moves the tallies into their counters: a labelled `inc` hashes and checks its labels, too dear once per frame. */
  private fold(): void {
    for (const [dialect, t] of this.tallies) {
      if (t.framesIn > 0) this.framesIn.inc({ dialect }, t.framesIn);
      if (t.messagesIn > 0) this.messagesIn.inc({ dialect }, t.messagesIn);
      if (t.messagesOut > 0) this.messagesOut.inc({ dialect }, t.messagesOut);
      t.framesIn = t.messagesIn = t.messagesOut = 0;
    }
  }

  /** For `openStore` and `openBroker`: milliseconds in, seconds out. */
  readonly engine: EngineObserver = {
    commit: (ms, batchSize) => {
      this.storeCommit.observe(ms / 1000);
      this.storeBatch.observe(batchSize);
    },
    publish: (ms) => this.brokerPublish.observe(ms / 1000),
  };

  /** For the core's hub. */
  readonly hub: HubObserver = {
    fanOut: (ms) => this.fanOutLatency.observe(ms / 1000),
    delivered: (count) => this.deliveries.inc(count),
  };

  /** For the core's accounts and the admin key check. */
  readonly authFailed = (failure: AuthFailure): void => {
    this.authFailures.inc({ credential: failure.credential, reason: failure.reason });
  };

  constructor() {
    // Includes nodejs_eventloop_lag_* (the event-loop lag), heap, GC and file descriptors.
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
