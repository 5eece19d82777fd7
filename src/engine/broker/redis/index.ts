import { Redis, type RedisOptions } from "ioredis";
import type { JsonObject } from "../../../core/json.js";
import type { CoreEvent } from "../../../core/types.js";
import { since, type EngineObserver } from "../../observer.js";
import { redactUrl } from "../../redact.js";
import type { Broker, Claims, Counters, LiveSettings, NodeRegistry, PresenceManager } from "../types.js";
import { RedisKeys, readSettings, redisClaims, redisCounters, redisNodes, redisPresence, writeSettings } from "./state.js";

export interface RedisBrokerOptions {
  /** redis:// or rediss:// (TLS), with credentials and database if needed. */
  url: string;
  /** Put before every key and channel, so several fleets (or test runs) can share one Redis. */
  prefix: string;
  nodeId: string;
  /** Connection trouble and exceptions thrown by onEvent or watchers. The URL's password never appears. */
  log?: (msg: string, err?: unknown) => void;
  /** How long start() waits for Redis before rejecting. Default 10 s. */
  startTimeoutMs?: number;
  /** A command without a reply for this long fails (a hung Redis must not hang callers). Default 5 s. */
  commandTimeoutMs?: number;
  /** Told how long each publish took, from the command to Redis's reply (failed publishes are not reported). */
  observer?: EngineObserver;
}

/** Reconnect backoff: 50 ms doubling up to 2 s, for ever (ioredis reconnects; we only decide how often). */
const retryStrategy = (times: number) => Math.min(50 * 2 ** Math.min(times, 6), 2_000);

/** Subscribe at most this many channels per command when restoring a connection. */
const SUBSCRIBE_CHUNK = 1_000;

const unavailable = () => new Error("Redis is unavailable (reconnecting)");
const closedError = () => new Error("broker is closed");

/**
 * The fleet broker on Redis: one command connection and one subscriber
 * connection per node. Events travel as JSON on `<prefix>ch:<channel>`; one
 * connection publishes them, and Redis keeps each connection's order, so one
 * publisher's events keep their order. Presence, counters and claims are Lua
 * scripts (atomic across nodes); see scripts.ts for the key layout.
 *
 * Outages: commands fail fast while disconnected (no offline queue once
 * started, no retry of a command in flight when the connection drops),
 * `healthy()` is false until both connections are back, ioredis reconnects
 * with a capped backoff, and once the subscriptions are restored the
 * `onReconnect` callbacks run (events published meanwhile are lost).
 */
export class RedisBroker implements Broker {
  readonly nodeId: string;
  readonly presence: PresenceManager;
  readonly counters: Counters;
  readonly claims: Claims;
  readonly nodes: NodeRegistry;
  readonly settings: LiveSettings;

  private readonly keys: RedisKeys;
  private readonly cmd: Redis;
  private readonly sub: Redis;
  private readonly where: string;
  private readonly log: (msg: string, err?: unknown) => void;
  private readonly observer: EngineObserver;
  private readonly startTimeoutMs: number;

  private onEvent: ((event: CoreEvent) => void) | null = null;
  /** Channels this node wants; what the subscriber connection has is reconciled to it. */
  private readonly wanted = new Set<string>();
  /** Channels subscribed on the current subscriber connection (empty after a reconnect). */
  private readonly onConnection = new Set<string>();
  /** Subscribe/unsubscribe runs one at a time, in call order. */
  private syncing: Promise<void> = Promise.resolve();
  private readonly watchers: ((settings: JsonObject) => void)[] = [];
  private readonly reconnectFns: (() => void)[] = [];
  private readonly healthWaiters = new Set<() => void>();

  private started = false;
  private closed = false;
  private cmdReady = false;
  /** The subscriber is connected and its subscriptions restored. */
  private subReady = false;
  /** The subscriber has been ready once: from then on an outage is reported, not waited out. */
  private everReady = false;
  /** A connection that had been ready was lost: onReconnect is due when both are back. */
  private outage = false;

  constructor(opts: RedisBrokerOptions) {
    this.nodeId = opts.nodeId;
    this.keys = new RedisKeys(opts.prefix);
    this.where = redactUrl(opts.url);
    this.startTimeoutMs = opts.startTimeoutMs ?? 10_000;
    this.log = opts.log ?? ((msg, err) => console.error(`[broker ${this.nodeId}] ${msg}`, err instanceof Error ? err.message : (err ?? "")));
    this.observer = opts.observer ?? {};
    const base: RedisOptions = {
      lazyConnect: true,
      retryStrategy,
      // 0: a command in flight when the connection drops fails at once instead of being sent again later
      // (an increment or publish must not happen twice, and callers must not hang).
      maxRetriesPerRequest: 0,
      commandTimeout: opts.commandTimeoutMs ?? 5_000,
      connectTimeout: 5_000,
    };
    // The command connection queues only until it first connects (calls made before start()); after that, fail fast.
    this.cmd = new Redis(opts.url, { ...base, enableOfflineQueue: true, connectionName: `${opts.prefix}${opts.nodeId}:cmd` });
    // Subscriptions are restored by this class (after every connect) rather than by ioredis, so
    // onReconnect can run once they are really back.
    this.sub = new Redis(opts.url, { ...base, enableOfflineQueue: false, autoResubscribe: false, connectionName: `${opts.prefix}${opts.nodeId}:sub` });
    this.watchConnections();

    const cmd = this.cmd;
    this.presence = redisPresence(cmd, this.keys);
    this.counters = redisCounters(cmd, this.keys);
    this.claims = redisClaims(cmd, this.keys);
    this.nodes = redisNodes(cmd, this.keys);
    this.settings = {
      get: () => readSettings(cmd, this.keys),
      set: (settings) => writeSettings(cmd, this.keys, settings),
      watch: (fn) => {
        this.watchers.push(fn);
      },
    };
  }

  async start(onEvent: (event: CoreEvent) => void): Promise<void> {
    if (this.closed) throw closedError();
    if (this.started) throw new Error("broker already started");
    this.started = true;
    this.onEvent = onEvent;
    this.sub.on("message", (channel: string, message: string) => this.message(channel, message));
    for (const conn of [this.cmd, this.sub]) if (conn.status === "wait") conn.connect().catch(() => undefined);
    try {
      await this.whenHealthy(this.startTimeoutMs);
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  /**
   * Live once resolved. While Redis is unreachable it rejects, but the channel
   * stays wanted and is subscribed when the connection is back.
   */
  async subscribe(channel: string): Promise<void> {
    if (this.closed) throw closedError();
    this.wanted.add(channel);
    if (this.sub.status === "ready") return this.sync();
    // Not connected yet: the first restoreSubscriptions() takes every wanted channel.
    if (!this.everReady) return;
    throw unavailable();
  }

  /** Never rejects: delivery stops at once (messages are filtered by `wanted`), and Redis catches up in order. */
  async unsubscribe(channel: string): Promise<void> {
    this.wanted.delete(channel);
    if (this.closed || this.sub.status !== "ready") return; // a new connection subscribes only what is wanted
    await this.sync().catch((err) => this.log(`unsubscribe from ${channel} did not reach Redis; it will on reconnect`, err));
  }

  /** A closed broker drops the event, like the in-process one. */
  async publish(event: CoreEvent): Promise<void> {
    if (this.closed) return;
    const start = performance.now();
    await this.cmd.publish(this.keys.event(event.channel), JSON.stringify(event));
    this.observer.publish?.(since(start));
  }

  healthy(): boolean {
    return this.started && !this.closed && this.cmdReady && this.subReady;
  }

  onReconnect(fn: () => void): void {
    this.reconnectFns.push(fn);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.onEvent = null;
    this.cmdReady = this.subReady = false;
    await Promise.all([this.cmd, this.sub].map(async (conn) => {
      // QUIT lets replies in flight arrive; a connection that is not up is just dropped.
      if (conn.status === "ready") await conn.quit().catch(() => conn.disconnect());
      else conn.disconnect();
    }));
  }

  // ---- connection state ----

  private watchConnections(): void {
    const lost = (which: "cmd" | "sub") => () => {
      const was = which === "cmd" ? this.cmdReady : this.subReady;
      if (which === "cmd") this.cmdReady = false;
      else {
        this.subReady = false;
        this.onConnection.clear(); // a new connection starts with no subscriptions
      }
      if (was && !this.closed) {
        this.outage = true;
        this.log(`lost the ${which} connection to Redis at ${this.where}; reconnecting`);
      }
    };
    // 'error' is followed by 'close' and a reconnect; the listeners also keep ioredis from throwing it.
    let lastError = "";
    const onError = (which: string) => (err: Error) => {
      if (this.closed || err.message === lastError) return; // one line per distinct error, not one per retry
      lastError = err.message;
      this.log(`Redis ${which} connection error (${this.where})`, err);
    };
    this.cmd.on("error", onError("cmd"));
    this.sub.on("error", onError("sub"));
    this.cmd.on("close", lost("cmd"));
    this.sub.on("close", lost("sub"));
    this.cmd.on("ready", () => {
      lastError = "";
      this.cmd.options.enableOfflineQueue = false;
      this.cmdReady = true;
      this.stateChanged();
    });
    this.sub.on("ready", () => {
      lastError = "";
      void this.restoreSubscriptions();
    });
  }

  /** On every (re)connect of the subscriber: the settings channel and every wanted channel, then healthy. */
  private async restoreSubscriptions(): Promise<void> {
    try {
      await this.sub.subscribe(this.keys.settingsChannel);
      await this.sync();
      this.subReady = this.everReady = true;
      this.stateChanged();
    } catch (err) {
      // The connection dropped again mid-way: the next 'ready' starts over.
      if (!this.closed) this.log("could not restore subscriptions; retrying on reconnect", err);
    }
  }

  private stateChanged(): void {
    if (!this.healthy()) return;
    for (const resolve of this.healthWaiters) resolve();
    this.healthWaiters.clear();
    if (!this.outage) return;
    this.outage = false;
    this.log(`reconnected to Redis at ${this.where}`);
    for (const fn of this.reconnectFns) {
      try {
        fn();
      } catch (err) {
        this.log("an onReconnect callback threw", err);
      }
    }
  }

  private whenHealthy(timeoutMs: number): Promise<void> {
    if (this.healthy()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.healthWaiters.delete(done);
        reject(new Error(`Redis at ${this.where} not reachable within ${timeoutMs} ms`));
      }, timeoutMs);
      this.healthWaiters.add(done);
    });
  }

  /** Reconciles the subscriber connection with `wanted`, queued behind earlier calls so Redis sees them in order. */
  private sync(): Promise<void> {
    const run = this.syncing.catch(() => undefined).then(() => this.reconcile());
    this.syncing = run;
    return run;
  }

  private async reconcile(): Promise<void> {
    for (;;) {
      const add = [...this.wanted].filter((c) => !this.onConnection.has(c));
      const drop = [...this.onConnection].filter((c) => !this.wanted.has(c));
      if (add.length === 0 && drop.length === 0) return;
      for (let i = 0; i < add.length; i += SUBSCRIBE_CHUNK) {
        const chunk = add.slice(i, i + SUBSCRIBE_CHUNK);
        await this.sub.subscribe(...chunk.map(this.keys.event));
        for (const c of chunk) this.onConnection.add(c);
      }
      for (let i = 0; i < drop.length; i += SUBSCRIBE_CHUNK) {
        const chunk = drop.slice(i, i + SUBSCRIBE_CHUNK);
        await this.sub.unsubscribe(...chunk.map(this.keys.event));
        for (const c of chunk) this.onConnection.delete(c);
      }
    }
  }

  // ---- delivery ----

  /** Each watcher gets its own copy, and one that throws does not keep the others from hearing. */
  private settingsChanged(json: string): void {
    for (const fn of this.watchers) {
      try {
        fn(JSON.parse(json) as JsonObject);
      } catch (err) {
        this.log("a settings watcher threw", err);
      }
    }
  }

  private message(redisChannel: string, message: string): void {
    if (this.closed) return;
    try {
      if (redisChannel === this.keys.settingsChannel) return this.settingsChanged(message);
      const channel = redisChannel.slice(this.keys.eventPrefix.length);
      const deliver = this.onEvent;
      // `wanted`, not the connection's state: after unsubscribe() resolves nothing more arrives.
      if (!deliver || !redisChannel.startsWith(this.keys.eventPrefix) || !this.wanted.has(channel)) return;
      deliver(JSON.parse(message) as CoreEvent);
    } catch (err) {
      this.log(`delivering a message on ${redisChannel} failed`, err);
    }
  }
}
