import { randomUUID } from "node:crypto";
import type { CoreEvent } from "../../../core/types.js";
import type { Broker, PresenceEntry } from "../types.js";

/**
 * The in-process broker: one node, so "the cluster" is this process. Publish
 * delivers on a microtask rather than synchronously so a publisher never
 * re-enters its own fan-out, while still keeping publish order.
 */
export class LocalBroker implements Broker {
  readonly nodeId = `node-${randomUUID().slice(0, 8)}`;
  private onEvent: ((event: CoreEvent) => void) | null = null;
  private readonly subscribed = new Set<string>();
  private readonly presence = new Map<string, Map<string, PresenceEntry>>();

  async start(onEvent: (event: CoreEvent) => void): Promise<void> {
    this.onEvent = onEvent;
  }

  async subscribe(channel: string): Promise<void> {
    this.subscribed.add(channel);
  }

  async unsubscribe(channel: string): Promise<void> {
    this.subscribed.delete(channel);
  }

  async publish(event: CoreEvent): Promise<void> {
    const deliver = this.onEvent;
    if (deliver && this.subscribed.has(event.channel)) queueMicrotask(() => deliver(event));
  }

  async presenceAdd(channel: string, entry: PresenceEntry): Promise<void> {
    let members = this.presence.get(channel);
    if (!members) this.presence.set(channel, (members = new Map()));
    members.set(entry.key, entry);
  }

  async presenceRemove(channel: string, key: string): Promise<boolean> {
    const members = this.presence.get(channel);
    if (!members) return false;
    const had = members.delete(key);
    if (members.size === 0) this.presence.delete(channel);
    return had;
  }

  async presenceList(channel: string): Promise<PresenceEntry[]> {
    return [...(this.presence.get(channel)?.values() ?? [])];
  }

  async close(): Promise<void> {
    this.onEvent = null;
    this.subscribed.clear();
    this.presence.clear();
  }
}
