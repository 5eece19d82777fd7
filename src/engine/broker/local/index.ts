import { randomUUID } from "node:crypto";
import type { JsonObject } from "../../../core/json.js";
import type { CoreEvent } from "../../../core/types.js";
import { since, type EngineObserver } from "../../observer.js";
import type { Broker, Claims, Counters, LiveSettings, NodeRegistry, PresenceManager } from "../types.js";
import { LocalNetwork, type LocalMember } from "./network.js";

export { LocalNetwork } from "./network.js";

export interface LocalBrokerOptions {
  /** Default: `node-<8 random hex>`. */
  nodeId?: string;
  /** Brokers sharing one network form a cluster in this process; default: a private network (one node). */
  network?: LocalNetwork;
  /** Where an exception thrown by `onEvent` or a settings watcher is reported (it never escapes into the publisher). */
  log?: (msg: string, err?: unknown) => void;
  /** Told how long each publish took: in process it is the hand-over to the network, delivery being a microtask later. */
  observer?: EngineObserver;
}

const closedError = () => new Error("broker is closed");

/**
 * The in-process broker. Alone it serves one node; several on one
 * `LocalNetwork` behave like a fleet on one Redis (shared presence, counters,
 * claims, registry, settings; fan-out between them). Delivery happens on a
 * microtask, never inside publish, in publish order.
 */
export class LocalBroker implements Broker {
  readonly nodeId: string;
  readonly presence: PresenceManager;
  readonly counters: Counters;
  readonly claims: Claims;
  readonly nodes: NodeRegistry;
  readonly settings: LiveSettings;

  private readonly network: LocalNetwork;
  private readonly log: (msg: string, err?: unknown) => void;
  private readonly observer: EngineObserver;
  private readonly subscribed = new Set<string>();
  private readonly watchers: ((settings: JsonObject) => void)[] = [];
  private onEvent: ((event: CoreEvent) => void) | null = null;
  private closed = false;
  /** The network calls back through this object, so these methods stay off the public Broker surface. */
  private readonly member: LocalMember;

  constructor(opts: LocalBrokerOptions = {}) {
    this.nodeId = opts.nodeId ?? `node-${randomUUID().slice(0, 8)}`;
    this.network = opts.network ?? new LocalNetwork();
    this.log = opts.log ?? ((msg, err) => console.error(`[broker ${this.nodeId}] ${msg}`, err ?? ""));
    this.observer = opts.observer ?? {};
    this.member = {
      receive: (event) => this.receive(event),
      settingsChanged: (settings) => this.settingsChanged(settings),
    };
    const net = this.network;
    // Operations before start() work (as on Redis, where the first command connects); after close() they reject.
    const live = async <T>(fn: () => T): Promise<T> => {
      if (this.closed) throw closedError();
      return fn();
    };
    this.presence = {
      add: (channel, entry) => live(() => net.presenceAdd(channel, entry)),
      remove: (channel, key) => live(() => {
        const { removed, lastForUser } = net.presenceRemove(channel, key);
        return { removed, lastForUser };
      }),
      list: (channel) => live(() => net.presenceList(channel)),
      removeNode: (node) => live(() => net.presenceRemoveNode(node)),
    };
    this.counters = {
      incr: (key, ttlMs, by = 1) => live(() => net.counterIncr(key, ttlMs, by)),
      get: (key) => live(() => net.counterGet(key)),
      reset: (key) => live(() => net.counterReset(key)),
    };
    this.claims = {
      claim: (key, owner, ttlMs) => live(() => net.claim(key, owner, ttlMs)),
      release: (key, owner) => live(() => net.release(key, owner)),
      owner: (key) => live(() => net.claimOwner(key)),
    };
    this.nodes = {
      beat: (info) => live(() => net.beat(info)),
      list: () => live(() => net.listNodes()),
      remove: (id) => live(() => net.removeNode(id)),
    };
    this.settings = {
      get: () => live(() => net.getSettings()),
      set: (settings) => live(() => net.setSettings(settings)),
      watch: (fn) => {
        this.watchers.push(fn);
      },
    };
  }

  async start(onEvent: (event: CoreEvent) => void): Promise<void> {
    if (this.closed) throw closedError();
    this.onEvent = onEvent;
    this.network.join(this.member);
  }

  async subscribe(channel: string): Promise<void> {
    if (this.closed) throw closedError();
    this.subscribed.add(channel);
    this.network.subscribe(channel, this.member);
  }

  async unsubscribe(channel: string): Promise<void> {
    this.subscribed.delete(channel);
    this.network.unsubscribe(channel, this.member);
  }

  /** A closed broker drops the event (it is not an error to publish while shutting down). */
  async publish(event: CoreEvent): Promise<void> {
    if (this.closed) return;
    const start = performance.now();
    this.network.publish(event);
    this.observer.publish?.(since(start));
  }

  healthy(): boolean {
    return !this.closed;
  }

  /** Memory cannot have an outage: never called. */
  onReconnect(_fn: () => void): void {}

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.onEvent = null;
    this.subscribed.clear();
    this.network.leave(this.member);
  }

  private receive(event: CoreEvent): void {
    // Re-checked at delivery: after unsubscribe() or close() resolved, nothing more arrives.
    const deliver = this.onEvent;
    if (!deliver || !this.subscribed.has(event.channel)) return;
    try {
      deliver(event);
    } catch (err) {
      this.log(`onEvent threw for channel ${event.channel}`, err);
    }
  }

  private settingsChanged(settings: JsonObject): void {
    if (this.closed) return;
    for (const fn of this.watchers) {
      try {
        fn(settings);
      } catch (err) {
        this.log("a settings watcher threw", err);
      }
    }
  }
}
