import type { Core } from "../../core/core.js";
import type { Access } from "../../core/room-access.js";
import type { Identity, Subscriber, UserRef } from "../../core/types.js";
import { inviteFrame, RELAY_INVITE } from "./render.js";

/** Cluster presence of a user's relay sockets: what decides whether an invite goes out now or waits. */
const onlineChannel = (userId: string) => `relay-online:${userId}`;

/**
 * Invite delivery: live to every relay socket the invited user has, on any
 * node; held in the store for a user with none, and handed to its next
 * connection.
 */
export class Invites {
  constructor(
    private readonly core: Core,
    private readonly ttlMs: number,
  ) {}

  private async online(userId: string): Promise<boolean> {
    return (await this.core.presence.members(onlineChannel(userId))).length > 0;
  }

  /** Checks the inviter may invite (`member`: its socket is in the room), then delivers or holds the invite. */
  async invite(roomId: string, inviter: UserRef, invitee: string, member: boolean): Promise<Access> {
    const access = await this.core.access.invite(roomId, inviter.id, invitee, { member, ttlMs: this.ttlMs });
    if (access.ok) await this.deliver(invitee, inviter, roomId);
    return access;
  }

  private async deliver(toUser: string, inviter: UserRef, roomId: string): Promise<void> {
    const data = { room_id: roomId };
    if (await this.online(toUser)) return this.core.direct.send(toUser, inviter, RELAY_INVITE, data);
    await this.core.access.holdInvite(toUser, roomId, inviter, this.ttlMs);
    // A socket that connected meanwhile may have looked for held invites before this one was kept.
    if ((await this.online(toUser)) && (await this.core.access.takeHeldInvite(toUser, roomId))) {
      await this.core.direct.send(toUser, inviter, RELAY_INVITE, data);
    }
  }

  /** Makes the socket reachable and counted online, then hands it what waited; returns the frames to send. */
  async connect(sub: Subscriber, who: Identity): Promise<string[]> {
    await this.core.direct.attach(sub);
    await this.core.presence.add(onlineChannel(who.id), sub.connId, who);
    const held = await this.core.access.takeHeldInvites(who.id);
    return held.map((h) => inviteFrame(h.inviter.id, h.roomId));
  }

  async disconnect(sub: Subscriber): Promise<void> {
    this.core.direct.detach(sub);
    await this.core.presence.remove(onlineChannel(sub.user.id), sub.connId, sub.user.id);
  }
}
