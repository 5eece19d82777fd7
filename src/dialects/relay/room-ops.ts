import type { Kick } from "../../core/room-access.js";
import { keepsNoContent } from "../../core/room-records.js";
import { counterStream, RELAY_MESSAGE, RELAY_READ } from "./render.js";
import type { AnyRequest, Request } from "./schema.js";
import type { RelaySession } from "./session.js";

export type RoomRequest = Exclude<AnyRequest, { type: "ping" | "pong" }>;

/** Human text for each machine code a room request can be refused with. */
const REFUSALS: Record<string, string> = {
  "room.unknown": "no such room",
  "room.not-admin": "only the room's administrators may do this",
  "room.not-member": "you are not in this room",
  "room.closed": "the room is closed and you hold no invite to it",
  "room.banned": "you are banned from this room",
  "room.full": "the room is full",
  "room.locked": "the room is locked",
  "rooms.too-many": "this socket is in too many rooms",
  "user.banned": "that user is banned from this room",
  "user.admin": "a room administrator cannot be kicked",
  "user.not-member": "that user is not in this room",
  "message.unknown": "no message with this id in this room",
};

/** The room requests of one relay socket, and the rooms that socket has entered. */
export class RoomOps {
  private readonly joined = new Set<string>();

  constructor(private readonly s: RelaySession) {}

  handle(req: RoomRequest): Promise<void> {
    switch (req.type) {
      case "enter":
        return this.enter(req.room_id);
      case "exit":
        return this.exit(req.room_id);
      case "message":
        return this.message(req.room_id, req.content);
      case "read":
        return this.read(req.room_id, req.message_id);
      case "invite":
        return this.invite(req.room_id, req.user_id);
      case "kick":
        return this.kick(req);
      case "close":
      case "open":
        return this.setClosed(req.room_id, req.type);
    }
  }

  private refuse(code: string, ref: RoomRequest["type"]): void {
    this.s.refuse(code, REFUSALS[code] ?? code, ref);
  }

  private get core() {
    return this.s.ctx.core;
  }

  /** Whether the user is in the room on any socket, on any node. */
  private async present(roomId: string, userId: string): Promise<boolean> {
    return (await this.core.rooms.members(roomId)).some((m) => m.id === userId);
  }

  private async enter(r: string): Promise<void> {
    if (this.joined.has(r)) return;
    if (this.joined.size >= this.s.ctx.config.relay.maxRoomsPerConnection) return this.refuse("rooms.too-many", "enter");
    // Admission (bans, closed rooms, one-use passes) is the core's: the same rules hold for every dialect.
    const result = await this.core.rooms.join(this.s, this.s.user, r, 0);
    if (!result.ok) return this.refuse(result.code, "enter");
    this.joined.add(r);
    result.release();
    // Marked once admitted (an outsider cannot strip a room of its history): from now on no dialect stores content in it.
    if (!keepsNoContent(result.room)) await this.markUnstored(r);
  }

  /** A room relay cannot mark is not one relay may use: the member goes back out, and the request fails. */
  private async markUnstored(r: string): Promise<void> {
    try {
      await this.core.rooms.markUnstored(r);
    } catch (err) {
      this.joined.delete(r);
      await this.core.rooms.leave(this.s, this.s.user, r, "leave");
      throw err;
    }
  }

  private async exit(r: string): Promise<void> {
    if (!this.joined.delete(r)) return this.refuse("room.not-member", "exit");
    await this.core.rooms.leave(this.s, this.s.user, r, "leave");
  }

  /** The content lives only in this call and the fan-out it starts: the counter is all that is kept. */
  private async message(r: string, content: string): Promise<void> {
    if (!this.joined.has(r)) return this.refuse("room.not-member", "message");
    const message_id = await this.core.store.history.bump(counterStream(r));
    await this.core.rooms.signal(r, this.s.user, RELAY_MESSAGE, { content, message_id });
  }

  private async read(r: string, message_id: number): Promise<void> {
    if (!this.joined.has(r)) return this.refuse("room.not-member", "read");
    if (message_id > (await this.core.store.history.lastSeq(counterStream(r)))) return this.refuse("message.unknown", "read");
    await this.core.rooms.signal(r, this.s.user, RELAY_READ, { message_id });
  }

  private async invite(r: string, invitee: string): Promise<void> {
    const result = await this.s.invites.invite(r, this.s.user, invitee, this.joined.has(r));
    if (!result.ok) this.refuse(result.code, "invite");
  }

  private async kick(req: Request<"kick">): Promise<void> {
    const { room_id: r, user_id: target } = req;
    const opts = { message: req.message ?? null, permanent: req.permanent, targetPresent: await this.present(r, target) };
    const result = await this.core.access.kick(r, this.s.user, target, opts);
    if (!result.ok) this.refuse(result.code, "kick");
  }

  private async setClosed(r: string, type: "close" | "open"): Promise<void> {
    const result = await this.core.access.setClosed(r, this.s.user.id, type === "close");
    if (!result.ok) this.refuse(result.code, type);
  }

  /** A kick made on any node: this socket is out of the room at once; its user's last socket out announces the exit. */
  kicked(kick: Kick): void {
    if (!this.joined.delete(kick.roomId)) return;
    this.core.rooms.leave(this.s, this.s.user, kick.roomId, "leave").catch((err: unknown) => this.s.logFailure(err, "kick"));
  }

  async leaveAll(): Promise<void> {
    const all = [...this.joined];
    this.joined.clear();
    await Promise.all(all.map((r) => this.core.rooms.leave(this.s, this.s.user, r, "disconnect")));
  }
}
