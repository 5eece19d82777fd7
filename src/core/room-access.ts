import type { RoomRecord, Store } from "../engine/store/types.js";
import type { Hub } from "./hub.js";
import { newRoom } from "./rooms.js";
import { changeRoom } from "./room-records.js";
import type { UserRef } from "./types.js";

/** One-use passes into closed rooms, by `<room>/<user>`. */
const PASSES_NS = "room-passes";
/** Invites waiting for an offline user's next connection, by `<user>/<room>`. */
const HELD_NS = "held-invites";
/** Kicks are announced cluster-wide: the kicked user's connections may be on any node. */
const KICKS = "sys:room-kicks";

export type AccessRefusal =
  | "room.unknown"
  | "room.not-admin"
  | "room.not-member"
  | "room.closed"
  | "room.banned"
  | "user.banned"
  | "user.admin"
  | "user.not-member";

export type Access = { ok: true; room: RoomRecord } | { ok: false; code: AccessRefusal };

export interface Kick {
  roomId: string;
  userId: string;
  by: UserRef;
  message: string | null;
  permanent: boolean;
}

export interface KickOptions {
  message: string | null;
  /** A ban: the user may not come back. */
  permanent: boolean;
  /** Whether the user is in the room now; a mere kick of someone absent is refused. */
  targetPresent: boolean;
}

/** Who the operator's actions are made by, as every dialect shows a sender. */
export const SYSTEM: UserRef = { id: "system", name: "system" };

export interface HeldInvite {
  roomId: string;
  inviter: UserRef;
}

const refuse = (code: AccessRefusal): Access => ({ ok: false, code });

/**
 * Who may be in a room: open or closed, administrators, one-use invite passes
 * and permanent bans. Everything lives in the store (room record, kv), so every
 * node enforces the same rules; every change of a room record is compare and
 * swap, so changes made at once on several nodes all survive.
 */
export class RoomAccess {
  constructor(
    private readonly store: Store,
    private readonly hub: Hub,
    private readonly now: () => number = Date.now,
  ) {}

  isAdmin(room: RoomRecord, userId: string): boolean {
    return room.admins.includes(userId);
  }

  /**
   * Whether the user may enter. A missing room is created open with the user as
   * its administrator. A closed room admits its administrators, a user already
   * inside on another connection (`present`), and otherwise takes one pass.
   */
  async admit(roomId: string, userId: string, present: boolean): Promise<Access> {
    // Whoever creates a missing room first (on any node) is its administrator.
    const existing = await changeRoom(this.store.rooms, roomId, (current) => current ? null : newRoom(roomId, this.now(), userId));
    if (!existing) throw new Error(`room ${roomId} vanished while being admitted to`);
    if (existing.bans.includes(userId)) return refuse("room.banned");
    if (!existing.closed || present || this.isAdmin(existing, userId)) return { ok: true, room: existing };
    if (await this.store.kv.delete(PASSES_NS, `${roomId}/${userId}`)) return { ok: true, room: existing };
    return refuse("room.closed");
  }

  /** Read-modify-write of a room record (created if missing), as compare and swap. */
  async modify(roomId: string, change: (room: RoomRecord) => RoomRecord): Promise<RoomRecord> {
    const stored = await changeRoom(this.store.rooms, roomId, (current) => change(current ?? newRoom(roomId, this.now())));
    return stored!;
  }

  /** Administrators only; closing changes who may enter next, not who is inside. */
  async setClosed(roomId: string, actorId: string, closed: boolean): Promise<Access> {
    let refusal: AccessRefusal | null = null;
    const room = await changeRoom(this.store.rooms, roomId, (current) => {
      refusal = !current ? "room.unknown" : !this.isAdmin(current, actorId) ? "room.not-admin" : null;
      return current && !refusal && current.closed !== closed ? { ...current, closed } : null;
    });
    return refusal ? refuse(refusal) : { ok: true, room: room! };
  }

  /**
   * An administrator may invite to any room; anyone else only to an open room
   * they are in (`member`). In a closed room the invite is a one-use pass.
   */
  async invite(roomId: string, actorId: string, inviteeId: string, opts: { member: boolean; ttlMs: number }): Promise<Access> {
    const room = await this.store.rooms.get(roomId);
    if (!room) return refuse("room.unknown");
    const admin = this.isAdmin(room, actorId);
    if (room.closed && !admin) return refuse("room.not-admin");
    if (!admin && !opts.member) return refuse("room.not-member");
    if (room.bans.includes(inviteeId)) return refuse("user.banned");
    if (room.closed) await this.store.kv.put(PASSES_NS, `${roomId}/${inviteeId}`, { by: actorId }, this.now() + opts.ttlMs);
    return { ok: true, room };
  }

  /**
   * Administrators only, never against an administrator. A user who is not in
   * the room (`targetPresent` false) can still be banned, not merely kicked.
   * Accepted kicks reach every node's `watchKicks` listeners.
   */
  kick(roomId: string, actor: UserRef, targetId: string, opts: KickOptions): Promise<Access> {
    return this.kickAs(roomId, actor, targetId, opts, true);
  }

  /**
   * The operator's kick (the admin API): the same cluster-wide kick, so every
   * dialect's members leave, without the room-administrator check — the
   * system outranks a room's administrators, who can be kicked and banned too
   * (a ban also takes their administrator's rights).
   */
  systemKick(roomId: string, targetId: string, opts: KickOptions): Promise<Access> {
    return this.kickAs(roomId, SYSTEM, targetId, opts, false);
  }

  /** Lifts a permanent ban; `user.not-member` when the user was not banned. */
  async unban(roomId: string, userId: string): Promise<Access> {
    let refusal: AccessRefusal | null = null;
    const room = await changeRoom(this.store.rooms, roomId, (current) => {
      refusal = !current ? "room.unknown" : !current.bans.includes(userId) ? "user.not-member" : null;
      return current && !refusal ? { ...current, bans: current.bans.filter((b) => b !== userId) } : null;
    });
    return refusal ? refuse(refusal) : { ok: true, room: room! };
  }

  private async kickAs(roomId: string, actor: UserRef, targetId: string, opts: KickOptions, asAdmin: boolean): Promise<Access> {
    let refusal: AccessRefusal | null = null;
    const room = await changeRoom(this.store.rooms, roomId, (current) => {
      refusal = !current
        ? "room.unknown"
        : asAdmin && !this.isAdmin(current, actor.id)
          ? "room.not-admin"
          : asAdmin && this.isAdmin(current, targetId)
            ? "user.admin"
            : !opts.permanent && !opts.targetPresent
              ? "user.not-member"
              : null;
      if (!current || refusal || !opts.permanent) return null;
      if (current.bans.includes(targetId) && !current.admins.includes(targetId)) return null;
      const bans = current.bans.includes(targetId) ? current.bans : [...current.bans, targetId];
      return { ...current, bans, admins: current.admins.filter((a) => a !== targetId) };
    });
    const result: Access = refusal ? refuse(refusal) : { ok: true, room: room! };
    if (result.ok) {
      const data = { room: roomId, user: targetId, message: opts.message, permanent: opts.permanent };
      await this.hub.publish({ channel: KICKS, type: "room.kick", time: this.now(), sender: { id: actor.id, name: actor.name }, data });
    }
    return result;
  }

  /** Calls `fn` for every accepted kick, on whichever node it was made. */
  watchKicks(fn: (kick: Kick) => void): Promise<void> {
    return this.hub.listen(KICKS, (e) => {
      const { room, user, message, permanent } = e.data;
      if (typeof room !== "string" || typeof user !== "string") return;
      fn({ roomId: room, userId: user, by: e.sender, message: typeof message === "string" ? message : null, permanent: permanent === true });
    });
  }

  /** Keeps an invite for a user who is offline; a newer invite to the same room replaces it. */
  holdInvite(userId: string, roomId: string, inviter: UserRef, ttlMs: number): Promise<void> {
    return this.store.kv.put(HELD_NS, `${userId}/${roomId}`, { id: inviter.id, name: inviter.name }, this.now() + ttlMs);
  }

  /** Takes one held invite; true for exactly one caller, however many race for it. */
  takeHeldInvite(userId: string, roomId: string): Promise<boolean> {
    return this.store.kv.delete(HELD_NS, `${userId}/${roomId}`);
  }

  /** Takes every invite held for the user (each is handed out once). */
  async takeHeldInvites(userId: string): Promise<HeldInvite[]> {
    const prefix = `${userId}/`;
    const taken: HeldInvite[] = [];
    for (const { key, value } of await this.store.kv.list(HELD_NS, prefix)) {
      if (!(await this.store.kv.delete(HELD_NS, key))) continue;
      taken.push({ roomId: key.slice(prefix.length), inviter: { id: String(value.id), name: String(value.name) } });
    }
    return taken;
  }
}
