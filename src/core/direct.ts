import type { Hub } from "./hub.js";
import type { JsonObject } from "./json.js";
import { channels, type Subscriber, type UserRef } from "./types.js";

/**
 * Delivery addressed to a user rather than a room: every socket the user has,
 * on every node (private chat, invites, kicks). Nothing here is stored.
 */
export class Direct {
  constructor(
    private readonly hub: Hub,
    private readonly now: () => number = Date.now,
  ) {}

  /** Makes a connection reachable as its user; call `detach` when it closes. */
  async attach(sub: Subscriber): Promise<void> {
    const attachment = await this.hub.attach(channels.user(sub.user.id), sub, false);
    attachment.release(0);
  }

  detach(sub: Subscriber): void {
    this.hub.detach(channels.user(sub.user.id), sub.connId);
  }

  /** Whether the user has a socket on this node. */
  isLocal(userId: string): boolean {
    return this.hub.localSubscribers(channels.user(userId)).length > 0;
  }

  send(toUser: string, sender: UserRef, type: string, data: JsonObject, exceptConn?: string): Promise<void> {
    return this.hub.publish({ channel: channels.user(toUser), type, time: this.now(), sender: { id: sender.id, name: sender.name }, data, exceptConn });
  }
}
