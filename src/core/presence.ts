import type { PresenceDeparture, PresenceEntry, PresenceManager } from "../engine/broker/types.js";
import type { Identity } from "./types.js";

/** What a service does when a connection of its channels is gone without saying so (its node died or left). */
export type DepartureHandler = (channel: string, who: Identity, lastForUser: boolean) => Promise<void>;

/**
 * User-level presence on top of the broker's connection-level entries: a user
 * with many sockets (on any node) is one member, announced once. Whether a
 * connection was the user's first or last is the broker's atomic answer, so
 * two nodes racing never both announce a join (or a leave).
 */
export class Presence {
  private readonly handlers: Array<{ prefix: string; handle: DepartureHandler }> = [];
  /**
   * A broker that shares its lists while they are unchanged (the local one)
   * gets the same members back for the same list, and the same identity for
   * the same entry: a join into a big room does not rebuild every member.
   */
  private readonly byList = new WeakMap<readonly PresenceEntry[], readonly Identity[]>();
  private readonly byEntry = new WeakMap<PresenceEntry, Identity>();

  constructor(
    private readonly broker: PresenceManager,
    private readonly nodeId: string,
  ) {}

  private key(connId: string): string {
    return `${this.nodeId}/${connId}`;
  }

  /** Resolves to true when this is the user's first connection in the channel. */
  async add(channel: string, connId: string, who: Identity): Promise<boolean> {
    return (await this.broker.add(channel, this.entry(connId, who))).firstForUser;
  }

  /** Refreshes what the entry says about the user (after a rename). */
  async update(channel: string, connId: string, who: Identity): Promise<void> {
    await this.broker.add(channel, this.entry(connId, who));
  }

  /** Resolves to true when the user has no connection left in the channel. */
  async remove(channel: string, connId: string, _userId: string): Promise<boolean> {
    const { removed, lastForUser } = await this.broker.remove(channel, this.key(connId));
    return removed && lastForUser;
  }

  /** One identity per user, whatever number of connections it has. */
  async members(channel: string): Promise<readonly Identity[]> {
    const list = await this.broker.list(channel);
    let members = this.byList.get(list);
    if (!members) this.byList.set(list, (members = this.dedupe(list)));
    return members;
  }

  /** Identities are shared (read-only), so a dialect may cache what it renders of one. */
  private dedupe(list: readonly PresenceEntry[]): readonly Identity[] {
    const byUser = new Map<string, Identity>();
    for (const e of list) {
      let who = this.byEntry.get(e);
      if (!who) this.byEntry.set(e, (who = Object.freeze(toIdentity(e))));
      byUser.set(e.user.id, who);
    }
    return Object.freeze([...byUser.values()]);
  }

  /**
   * Registers who announces departures on channels starting with `prefix`
   * (rooms: `left`; topics: `leave`…). Channels nobody claims just lose the entry.
   */
  onDeparture(prefix: string, handle: DepartureHandler): void {
    this.handlers.push({ prefix, handle });
  }

  /** Announces what the broker reported as gone: each departure reaches this node only, once fleet-wide. */
  async departed(departures: PresenceDeparture[]): Promise<void> {
    for (const d of departures) {
      const handler = this.handlers.find((h) => d.channel.startsWith(h.prefix));
      if (handler) await handler.handle(d.channel, toIdentity(d.entry), d.lastForUser);
    }
  }

  /** Deep-frozen: a broker in this process (and the ledger) can keep this very object instead of a copy. */
  private entry(connId: string, who: Identity): PresenceEntry {
    return Object.freeze({
      key: this.key(connId),
      user: Object.freeze({ id: who.id, name: who.name }),
      node: this.nodeId,
      info: Object.freeze({ color: who.color, verified: who.verified, guest: who.guest }),
    });
  }
}

export function toIdentity(e: PresenceEntry): Identity {
  return {
    id: e.user.id,
    name: e.user.name,
    color: typeof e.info.color === "string" ? e.info.color : "#888888",
    verified: e.info.verified === true,
    guest: e.info.guest === true,
  };
}
