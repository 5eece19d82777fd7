import type { PresenceDeparture, PresenceEntry, PresenceManager } from "../engine/broker/types.js";

/**
 * The broker's presence, with a note of every entry this node holds. When
 * the fleet's copy is lost — Redis restarted empty, or the fleet took this
 * node for dead after a long pause — `reassert` puts this node's live
 * entries back, so members still connected show up again without anyone
 * reconnecting.
 */
export class PresenceLedger implements PresenceManager {
  private readonly held = new Map<string, Map<string, PresenceEntry>>();

  constructor(private readonly backend: PresenceManager) {}

  async add(channel: string, entry: PresenceEntry): Promise<{ firstForUser: boolean }> {
    const result = await this.backend.add(channel, entry);
    let entries = this.held.get(channel);
    if (!entries) this.held.set(channel, (entries = new Map()));
    entries.set(entry.key, entry);
    return result;
  }

  async remove(channel: string, key: string): Promise<{ removed: boolean; lastForUser: boolean }> {
    const entries = this.held.get(channel);
    entries?.delete(key);
    if (entries?.size === 0) this.held.delete(channel);
    return this.backend.remove(channel, key);
  }

  list(channel: string): Promise<readonly PresenceEntry[]> {
    return this.backend.list(channel);
  }

  removeNode(node: string): Promise<PresenceDeparture[]> {
    return this.backend.removeNode(node);
  }

  /** Adds every entry this node holds again (adding an entry that is there changes nothing). */
  async reassert(): Promise<void> {
    for (const [channel, entries] of [...this.held]) {
      for (const entry of [...entries.values()]) await this.backend.add(channel, entry);
    }
  }
}
