import type { JsonObject } from "../../core/json.js";
import { RoomRefusal, unlessUnstored } from "../../core/room-records.js";
import type { InstalkSession } from "./session.js";
import { renderHistory, renderMembers, seedUser } from "./render.js";
import { bodyFromTxt, dataSchemas, issuesToErrors, plainMsg, ROOM_ID, type DataSchemas, type MsgData } from "./schema.js";

type Frame = Record<string, unknown>;

const SETTLED: Promise<unknown> = Promise.resolve();

const MEMBER_OPS = new Set(["leave", "msg", "load", "sync", "fetch", "bt", "st", "away", "set-room-topic"]);

/** The `{"r","o"}` operations of one session, and the rooms that session is in. */
export class RoomOps {
  /** A list, not a Set: a connection is in few rooms (`maxRoomsPerConnection`), and idle sockets are many. */
  private joined: string[] = [];
  /** The last message still being stored: typing signals wait for it so they never overtake it. */
  private lastPost: Promise<unknown> = SETTLED;

  constructor(private readonly s: InstalkSession) {}

  async handle(frame: Frame): Promise<void> {
    const { r, o } = frame;
    const echo: JsonObject = {};
    if (typeof r === "string") echo.r = r;
    if (typeof o === "string") echo.o = o;
    if (typeof o !== "string") return this.s.badRequest(echo, { o: "required" });
    // The original client's rename, `{"r":"*","o":"set-user-info","data":{"name","color"}}`: about the user, not one room.
    if (o === "set-user-info") return this.s.rename(frame.data);
    if (o !== "join" && !MEMBER_OPS.has(o)) return this.s.sendText(JSON.stringify({ ...echo, error: { code: 400, msg: "operation.unsupported" } }));
    if (typeof r !== "string" || !ROOM_ID.test(r)) {
      if (o === "join") return this.s.send({ ...echo, o: "join-failed", reason: { code: "room.invalid" } });
      return this.s.badRequest(echo, { r: "must be 1-64 characters of A-Z a-z 0-9 _ . -" });
    }
    if (o === "join") return this.join(r);
    if (!this.joined.includes(r)) return this.s.send({ r, o, error: { code: 404, msg: "room.not-joined" } });
    const rooms = this.s.ctx.core.rooms;
    const user = this.s.user;
    switch (o) {
      case "leave":
        // The sender's last message goes out before it leaves: it hears its own echo, others hear msg then left.
        await this.lastPost;
        this.forget(r);
        await rooms.leave(this.s, user, r, "leave");
        return this.s.send({ r, o: "room-bye" });
      case "bt":
      case "st":
      case "away":
        void this.lastPost.then(() => rooms.signal(r, user, o, {}, { user: user.id }));
        return;
    }
    const cfg = this.s.ctx.config.instalk;
    if (o === "msg") {
      const plain = plainMsg(frame.data, cfg.maxBodyChars);
      if (plain) return this.post(r, plain);
    }
    // Looked up per frame (built once per limit value): a live settings change applies to open sockets too.
    const schema = dataSchemas(cfg.maxBodyChars)[o as keyof DataSchemas];
    // The original client sends a message's text as `txt`.
    const parsed = schema.safeParse((o === "msg" ? bodyFromTxt(frame.data) : frame.data) ?? {});
    if (!parsed.success) return this.s.badRequest({ r, o }, issuesToErrors(parsed.error, "data"));
    const data = parsed.data as JsonObject;
    switch (o) {
      case "msg":
        return this.post(r, parsed.data as MsgData);
      case "set-room-topic":
        await rooms.setTopic(r, user, data.topic as string);
        return;
      case "load": {
        const events = await rooms.history(r, { before: data["last-msg-nr"] as number, limit: cfg.loadPage, take: "newest" });
        return this.s.sendText(`{"r":${JSON.stringify(r)},"o":"load","data":{"messages":${renderHistory(events)}}}`);
      }
      case "fetch": {
        const events = await rooms.history(r, { before: data.before as number, limit: cfg.fetchPage, take: "newest" });
        return this.s.sendText(`{"r":${JSON.stringify(r)},"o":"fetch","data":{"messages":${renderHistory(events)}}}`);
      }
      case "sync": {
        const events = await rooms.history(r, { from: data.from as number, limit: cfg.syncPage + 1, take: "oldest" });
        const more = events.length > cfg.syncPage;
        if (more) events.length = cfg.syncPage;
        return this.s.sendText(`{"r":${JSON.stringify(r)},"o":"sync","data":{"messages":${renderHistory(events)},"more":${more}}}`);
      }
    }
  }

  /** Not awaited: the append is queued in order now; the fan-out follows the commit. */
  private post(r: string, data: MsgData): void {
    const { body, mentions, attachments } = data;
    this.lastPost = this.s.ctx.core.rooms.post(r, this.s.user, "msg", { body, mentions, attachments }).catch((err: unknown) => {
      if (err instanceof RoomRefusal) return this.s.send({ r, o: "msg", error: { code: 403, msg: err.code } });
      this.s.ctx.log.error({ err, conn: this.s.connId }, "message not stored");
      this.s.send({ r, o: "msg", error: { code: 500, msg: "message.not-stored" } });
    });
  }

  private async join(r: string): Promise<void> {
    const cfg = this.s.ctx.config.instalk;
    const rooms = this.s.ctx.core.rooms;
    if (this.joined.includes(r)) {
      const [members, history, room] = await Promise.all([rooms.members(r), rooms.history(r, { limit: cfg.joinHistory, take: "newest" }), rooms.get(r)]);
      return this.welcome(r, renderMembers(members, this.s.user.id), renderHistory(history), room?.topic ?? "");
    }
    if (this.joined.length >= cfg.maxRoomsPerConnection) return this.s.send({ r, o: "join-failed", reason: { code: "rooms.too-many" } });
    const result = await rooms.join(this.s, this.s.user, r, cfg.joinHistory);
    if (!result.ok) return this.s.send({ r, o: "join-failed", reason: { code: result.code } });
    // A new array of exactly the rooms joined: a push (or a spread) gives an idle socket's one room a backing store of 17.
    this.joined = this.joined.concat(r);
    this.welcome(r, renderMembers(result.members, this.s.user.id), renderHistory(result.history), result.room.topic);
    result.release();
  }

  private welcome(r: string, members: string, messages: string, topic: string): void {
    this.s.sendText(`{"r":${JSON.stringify(r)},"o":"room-welcome","data":{"members":${members},"messages":${messages},"topic":${JSON.stringify(topic)}}}`);
  }

  /** Identify changed the user: every room it is in gets a stored set-user-info event. */
  async announceUserInfo(): Promise<void> {
    const rooms = this.s.ctx.core.rooms;
    for (const r of [...this.joined]) {
      await rooms.renamed(this.s, this.s.user, r);
      await rooms.post(r, this.s.user, "set-user-info", { user: { ...seedUser(this.s.user) } }).catch(unlessUnstored);
    }
  }

  /**
   * An administrator (through relay, say) kicked this user: out of the room,
   * told with a room-bye that says why, after its last message went out.
   */
  async kicked(r: string, permanent: boolean): Promise<void> {
    if (!this.joined.includes(r)) return;
    await this.lastPost;
    this.forget(r);
    await this.s.ctx.core.rooms.leave(this.s, this.s.user, r, "leave");
    this.s.send({ r, o: "room-bye", reason: { code: permanent ? "room.banned" : "room.kicked" } });
  }

  private forget(r: string): void {
    const at = this.joined.indexOf(r);
    if (at !== -1) this.joined.splice(at, 1);
  }

  async leaveAll(): Promise<void> {
    const rooms = this.s.ctx.core.rooms;
    await this.lastPost;
    const all = this.joined;
    this.joined = [];
    await Promise.all(all.map((r) => rooms.leave(this.s, this.s.user, r, "disconnect")));
  }
}
