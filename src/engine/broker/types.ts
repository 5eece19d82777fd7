import type { CoreEvent, UserRef } from "../../core/types.js";
import type { JsonObject } from "../../core/json.js";

export interface PresenceEntry {
  /** Unique per connection across the cluster (node id + connection id). */
  key: string;
  user: UserRef;
  /** The node holding the connection: the entry lives as long as that node's heartbeat. */
  node: string;
  /** Dialect-specific extras (colour, verified…), carried but not interpreted. */
  info: Record<string, unknown>;
}

/** One entry that left a channel because its node died or left, as reported to the one node that removed it. */
export interface PresenceDeparture {
  channel: string;
  entry: PresenceEntry;
  /** No other entry of the same user is left in the channel. */
  lastForUser: boolean;
}

/**
 * Connection-level presence per channel, shared by the fleet. Whether an add
 * was a user's first entry, or a remove its last, is decided atomically by the
 * backend: two nodes racing never both see "first" (or "last").
 */
export interface PresenceManager {
  /**
   * Adds or replaces the entry under `entry.key`. Replacing the same user's
   * entry (a rename, new info) is not a "first". An entry whose maker froze
   * it deeply (it, `user` and `info`) may be kept as given rather than copied.
   */
  add(channel: string, entry: PresenceEntry): Promise<{ firstForUser: boolean }>;
  remove(channel: string, key: string): Promise<{ removed: boolean; lastForUser: boolean }>;
  /** The channel's entries; the list and its entries may be shared between callers (read-only). */
  list(channel: string): Promise<readonly PresenceEntry[]>;
  /**
   * Removes every entry whose `node` is `node`, in every channel, and reports
   * each removal. However many nodes call it at once, each entry is reported
   * to exactly one. A user's several entries leave one by one: exactly one of
   * them is reported as the last.
   */
  removeNode(node: string): Promise<PresenceDeparture[]>;
}

/** Fixed-window counters shared by the fleet (login and creation limits, rate buckets). */
export interface Counters {
  /**
   * Adds `by` (a whole number, default 1) to the counter and returns the new
   * total; the window starts at the first add and lasts `ttlMs` (later adds'
   * `ttlMs` is ignored).
   */
  incr(key: string, ttlMs: number, by?: number): Promise<number>;
  get(key: string): Promise<number>;
  reset(key: string): Promise<void>;
}

/** Exclusive claims with an expiry (guest names): a claim is one owner's until released or expired. */
export interface Claims {
  /** True when `owner` holds the claim after the call (newly, or again: a holder's claim is refreshed). */
  claim(key: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Releases only the owner's own claim. */
  release(key: string, owner: string): Promise<void>;
  owner(key: string): Promise<string | null>;
}

/** What one node says of itself in the registry (the pubsub seed's configuration server). */
export interface NodeInfo {
  id: string;
  /** Where the node listens, host:port. */
  address: string;
  /** ms epoch. */
  started: number;
  /** ms epoch of the newest heartbeat. */
  lastSeen: number;
  /** Open connections per dialect. */
  connections: Record<string, number>;
}

/** The node registry, kept by the backend; liveness decisions are shared code (`NodeLiveness`). */
export interface NodeRegistry {
  /** Records the node's heartbeat (its `lastSeen`). */
  beat(info: NodeInfo): Promise<void>;
  list(): Promise<NodeInfo[]>;
  /** Forgets a node; true for exactly one caller. */
  remove(id: string): Promise<boolean>;
}

/** Settings changed at run time, shared by the fleet and kept for nodes that start later. */
export interface LiveSettings {
  get(): Promise<JsonObject>;
  /** Replaces the stored settings and tells every node (`watch`). */
  set(settings: JsonObject): Promise<void>;
  /** Calls `fn` with the settings each time any node sets them (this one included), once this broker is started. */
  watch(fn: (settings: JsonObject) => void): void;
}

/**
 * Fan-out between nodes and fleet state. The in-process broker serves one
 * node (or several in one process sharing a `LocalNetwork`, for tests); a
 * Redis broker serves a fleet. The core cannot tell which it has.
 */
export interface Broker {
  readonly nodeId: string;
  /** Connects and starts delivery; every message published to a subscribed channel reaches `onEvent` (never from inside `publish`). */
  start(onEvent: (event: CoreEvent) => void): Promise<void>;
  /**
   * Live once resolved. Rejects while the backend is unreachable; the channel
   * is then subscribed when it is back (`onReconnect`), unless unsubscribed meanwhile.
   */
  subscribe(channel: string): Promise<void>;
  /** Delivery on the channel stops at once; never rejects for backend trouble. */
  unsubscribe(channel: string): Promise<void>;
  publish(event: CoreEvent): Promise<void>;
  readonly presence: PresenceManager;
  readonly counters: Counters;
  readonly claims: Claims;
  readonly nodes: NodeRegistry;
  readonly settings: LiveSettings;
  /** False while the backend is unreachable; readiness probes report it. */
  healthy(): boolean;
  /**
   * Called after the backend came back from an outage: events published
   * meanwhile may have been lost, so the hub checks positions against the store.
   */
  onReconnect(fn: () => void): void;
  /** After it, nothing is delivered, publish does nothing and every other call rejects. Idempotent. */
  close(): Promise<void>;
}
