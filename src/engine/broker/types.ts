import type { CoreEvent, UserRef } from "../../core/types.js";

export interface PresenceEntry {
  /** Unique per connection across the cluster (node id + connection id). */
  key: string;
  user: UserRef;
  node: string;
  /** Dialect-specific extras (colour, verified…), carried but not interpreted. */
  info: Record<string, unknown>;
}

/**
 * Fan-out between nodes and cluster presence. The in-process broker serves one
 * node; a Redis broker serves a fleet. The core cannot tell which it has.
 */
export interface Broker {
  readonly nodeId: string;
  /** Starts delivery; every message published to a subscribed channel reaches `onEvent`. */
  start(onEvent: (event: CoreEvent) => void): Promise<void>;
  subscribe(channel: string): Promise<void>;
  unsubscribe(channel: string): Promise<void>;
  publish(event: CoreEvent): Promise<void>;
  presenceAdd(channel: string, entry: PresenceEntry): Promise<void>;
  /** Resolves to whether the entry was there. */
  presenceRemove(channel: string, key: string): Promise<boolean>;
  presenceList(channel: string): Promise<PresenceEntry[]>;
  close(): Promise<void>;
}
