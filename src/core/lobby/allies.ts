import type { Store } from "../../engine/store/types.js";
import type { Hub } from "../hub.js";
import { channels, type UserRef } from "../types.js";
import { LOBBY_EVENTS } from "./types.js";

/** `<user>/<ally>`: the users someone follows. */
const ALLIES_NS = "lobby.allies";
/** `<ally>/<user>`: the same pairs the other way round, to find who follows someone. */
const FOLLOWERS_NS = "lobby.followers";
const AWAY_NS = "lobby.away";

/**
 * Friend lists and away status. A user's status is shown to the users who
 * made it their ally: when they add it, and whenever it changes, on whichever
 * node they are.
 */
export class Allies {
  constructor(
    private readonly store: Store,
    private readonly hub: Hub,
    private readonly now: () => number,
  ) {}

  /** Resolves to whether the ally is away now, for the caller to show straight away. */
  async add(user: UserRef, ally: UserRef): Promise<boolean> {
    await this.store.kv.put(ALLIES_NS, `${user.id}/${ally.id}`, { name: ally.name }, null);
    await this.store.kv.put(FOLLOWERS_NS, `${ally.id}/${user.id}`, { name: user.name }, null);
    return this.isAway(ally.id);
  }

  async isAway(userId: string): Promise<boolean> {
    return (await this.store.kv.get(AWAY_NS, userId))?.away === true;
  }

  /** Keeps the status and tells every follower when it changed. */
  async setAway(user: UserRef, away: boolean): Promise<void> {
    // Compare and swap: of two sessions of one user flipping it at once (on any nodes), one change is announced.
    const changed = away
      ? await this.store.kv.putIfAbsent(AWAY_NS, user.id, { away: true }, null)
      : await this.store.kv.delete(AWAY_NS, user.id);
    if (!changed) return;
    const prefix = `${user.id}/`;
    for (const { key } of await this.store.kv.list(FOLLOWERS_NS, prefix)) await this.tell(key.slice(prefix.length), user, away);
  }

  private tell(toUser: string, about: UserRef, away: boolean): Promise<void> {
    return this.hub.publish({ channel: channels.user(toUser), type: LOBBY_EVENTS.away, time: this.now(), sender: { id: about.id, name: about.name }, data: { away } });
  }
}
