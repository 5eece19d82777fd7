import type { PresenceEntry, PresenceManager } from "../../engine/broker/types.js";
import type { UserRef } from "../types.js";
import type { LobbyMember, Neighbour } from "./types.js";

/** Everyone logged in, whatever room they are in. */
const ONLINE = "lobby:online";

/**
 * The presence channel of a lobby room. Not the core's `room:<id>`: other
 * dialects' users join the core room of the same id (instalk in `game.zoe`)
 * and keep their presence there, and they must neither fill a game room nor
 * show up in its `here` list, nor see fuse players in their member lists.
 * Events still travel on `room:<id>`, so chat bridges.
 */
export const occupancy = (roomId: string) => `lobby-room:${roomId}`;

export const OCCUPANCY_PREFIX = "lobby-room:";

export interface Occupant extends UserRef {
  addr: string;
  hint: string | null;
}

/**
 * Who is where, as cluster presence: one entry per member session in its room
 * and in the online set, carrying the address hints. A node that dies takes
 * its entries with it, so nobody stays "in a room" after a crash.
 */
export class Occupants {
  constructor(
    private readonly presence: PresenceManager,
    private readonly nodeId: string,
  ) {}

  private key(m: LobbyMember): string {
    return `${this.nodeId}/${m.connId}`;
  }

  private entry(m: LobbyMember): PresenceEntry {
    const { addr, peer, host } = m.hints;
    return { key: this.key(m), user: { id: m.user.id, name: m.user.name }, node: this.nodeId, info: { addr, hint: peer ?? host } };
  }

  /** Adds (or refreshes) the member in a room and in the online set. */
  async add(roomId: string, m: LobbyMember): Promise<void> {
    await this.presence.add(occupancy(roomId), this.entry(m));
    await this.presence.add(ONLINE, this.entry(m));
  }

  async leave(roomId: string, m: LobbyMember): Promise<void> {
    await this.presence.remove(occupancy(roomId), this.key(m));
  }

  async offline(m: LobbyMember): Promise<void> {
    await this.presence.remove(ONLINE, this.key(m));
  }

  /** One occupant per user (a user being replaced by its newer session counts once). */
  async in(roomId: string): Promise<Occupant[]> {
    return distinct(await this.presence.list(occupancy(roomId)));
  }

  online(): Promise<Occupant[]> {
    return this.presence.list(ONLINE).then(distinct);
  }
}

function distinct(entries: readonly PresenceEntry[]): Occupant[] {
  const byUser = new Map<string, Occupant>();
  for (const e of entries) {
    byUser.set(e.user.id, { id: e.user.id, name: e.user.name, addr: String(e.info.addr ?? ""), hint: typeof e.info.hint === "string" ? e.info.hint : null });
  }
  return [...byUser.values()];
}

/** What `viewer` may see of the others: the address hint only when it shares their public address. */
export function neighbours(others: Occupant[], viewer: LobbyMember): Neighbour[] {
  return others.filter((o) => o.id !== viewer.user.id).map((o) => ({ name: o.name, hint: o.addr === viewer.hints.addr ? o.hint : null }));
}
