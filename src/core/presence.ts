import type { Broker, PresenceEntry } from "../engine/broker/types.js";
import type { Identity } from "./types.js";
import { KeyedQueue } from "./serial.js";

/**
 * User-level presence on top of the broker's connection-level entries: a user
 * with many sockets (on any node) is one member, announced once.
 */
export class Presence {
  private readonly queue = new KeyedQueue();

  constructor(private readonly broker: Broker) {}

  private key(connId: string): string {
    return `${this.broker.nodeId}/${connId}`;
  }

  /** Resolves to true when this is the user's first connection in the channel. */
  add(channel: string, connId: string, who: Identity): Promise<boolean> {
    return this.queue.run(channel, async () => {
      const before = await this.broker.presenceList(channel);
      const first = !before.some((e) => e.user.id === who.id);
      await this.broker.presenceAdd(channel, this.entry(connId, who));
      return first;
    });
  }

  /** Refreshes what the entry says about the user (after a rename). */
  update(channel: string, connId: string, who: Identity): Promise<void> {
    return this.queue.run(channel, () => this.broker.presenceAdd(channel, this.entry(connId, who)));
  }

  /** Resolves to true when the user has no connection left in the channel. */
  remove(channel: string, connId: string, userId: string): Promise<boolean> {
    return this.queue.run(channel, async () => {
      const had = await this.broker.presenceRemove(channel, this.key(connId));
      if (!had) return false;
      const after = await this.broker.presenceList(channel);
      return !after.some((e) => e.user.id === userId);
    });
  }

  /** One identity per user, whatever number of connections it has. */
  async members(channel: string): Promise<Identity[]> {
    const byUser = new Map<string, Identity>();
    for (const e of await this.broker.presenceList(channel)) byUser.set(e.user.id, toIdentity(e));
    return [...byUser.values()];
  }

  private entry(connId: string, who: Identity): PresenceEntry {
    return {
      key: this.key(connId),
      user: { id: who.id, name: who.name },
      node: this.broker.nodeId,
      info: { color: who.color, verified: who.verified, guest: who.guest },
    };
  }
}

function toIdentity(e: PresenceEntry): Identity {
  return {
    id: e.user.id,
    name: e.user.name,
    color: typeof e.info.color === "string" ? e.info.color : "#888888",
    verified: e.info.verified === true,
    guest: e.info.guest === true,
  };
}
