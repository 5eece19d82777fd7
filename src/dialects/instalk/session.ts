import { randomInt } from "node:crypto";
import type { JsonObject } from "../../core/json.js";
import { colorFor, guestIdentity } from "../../core/identity.js";
import type { Identity, OutFrame, Subscriber } from "../../core/types.js";
import { ClientConnection } from "../../connection/client-connection.js";
import type { Handlers } from "../../connection/protocol.js";
import type { DialectContext, Transport } from "../types.js";
import { instalkProtocol, type Frame } from "./protocol.js";
import { RoomOps } from "./room-ops.js";
import { errorFrame, instalkRenderer, wireUser } from "./render.js";
import { COLOR, IDENTIFY_REFUSALS, identifySchema, MAIL, NAME, renameSchema, SUPPORTED_VERSIONS } from "./schema.js";
import { RoomRefusal } from "../../core/room-records.js";

/** One instalk client: init, identify, heart-beat, and room operations through the core. */
export class InstalkSession implements Subscriber, Handlers<Frame> {
  readonly renderer = instalkRenderer;
  user: Identity;
  readonly conn: ClientConnection<Frame>;
  /** Read by the hub for every delivery: a field, not a getter chain. */
  readonly connId: string;
  /** The account a token on the upgrade made this socket; identify may not swap it for another's. */
  private tokenAccount: string | null = null;
  /** Whether `user.name` is claimed for this socket (a guest's placeholder name is not). */
  private nameHeld = false;
  readonly rooms: RoomOps;

  constructor(
    transport: Transport,
    readonly ctx: DialectContext,
    token: string | null,
  ) {
    // A placeholder until the init: the guest name is claimed (fleet-wide) before the welcome names it.
    this.user = guestIdentity();
    this.rooms = new RoomOps(this);
    this.conn = new ClientConnection(ctx.clients, transport, instalkProtocol, this);
    this.connId = this.conn.id;
    if (token) this.conn.enqueue(() => this.adoptToken(token));
  }

  private get closing(): boolean {
    return this.conn.ending;
  }

  /** A token on the upgrade request makes the welcome user that account; a bad one leaves a guest. */
  private async adoptToken(token: string): Promise<void> {
    const auth = await this.ctx.core.auth.verify(token).catch(() => null);
    // Closed while the token was checked: claiming a name or watching now would outlive the socket.
    if (!auth || this.closing) return;
    this.ctx.core.names.release(this.user.name, this.conn.id);
    // An anonymous token's guest name is nobody's account: hold it like any free name.
    if (auth.identity.guest) await this.ctx.core.names.claim(auth.identity.name, this.conn.id);
    this.nameHeld = true;
    this.user = auth.identity;
    this.tokenAccount = auth.identity.id;
    // Several sockets may share this user; a guest without a token is a user of its own, whose bucket is its socket's.
    this.conn.actAs(auth.identity.id);
    this.conn.watch(auth);
  }


  deliver(frame: OutFrame): void {
    this.conn.push(frame);
  }

  kickedFrom(roomId: string, permanent: boolean): void {
    this.conn.enqueue(() => this.rooms.kicked(roomId, permanent));
  }

  send(value: unknown): void {
    this.conn.send(JSON.stringify(value));
  }

  sendText(text: string): void {
    this.conn.send(text);
  }

  expired(): void {
    this.send({ timeout: 1 });
    this.end(1000, "timeout");
  }

  end(code: number, reason: string): void {
    this.conn.close(code, reason);
  }

  /**
   * A guest name no live session holds. Guest-NNNN has only 9,000 names: after
   * a few misses the number gets longer, so a crowded server never spins here.
   */
  private async freshGuest(): Promise<Identity> {
    const guest = this.user;
    for (let digits = 4; ; digits++) {
      for (let attempt = 0; attempt < 20; attempt++) {
        const name = digits === 4 && attempt === 0 ? guest.name : `Guest-${randomInt(10 ** (digits - 1), 10 ** digits)}`;
        if (await this.ctx.core.names.claim(name, this.conn.id)) return { ...guest, name, color: colorFor(name) };
      }
    }
  }

  failed(err: unknown, frame: Frame): void {
    const refused = err instanceof RoomRefusal;
    if (!refused) this.ctx.log.error({ err, conn: this.conn.id, o: frame.o }, "instalk operation failed");
    const echo: JsonObject = {};
    if (typeof frame.r === "string") echo.r = frame.r;
    if (typeof frame.o === "string") echo.o = frame.o;
    this.sendText(refused ? errorFrame(403, err.code, echo) : errorFrame(500, "internal.error", echo));
  }

  /** Whatever the first frame is, it is the init or the connection ends with init.required. */
  async first(frame: Frame | null): Promise<void> {
    if (frame === null || !("v" in frame)) {
      this.send({ o: "connect-failed", reason: { code: "init.required" } });
      return this.end(1002, "init required");
    }
    if (typeof frame.v !== "string" || !SUPPORTED_VERSIONS.includes(frame.v)) {
      this.send({ o: "connect-failed", reason: { code: "version.unsupported", supported: SUPPORTED_VERSIONS } });
      return this.end(1002, "version unsupported");
    }
    if (!this.nameHeld) {
      this.user = await this.freshGuest();
      this.nameHeld = true;
      // A guest is a user too: its allowance, and an operator's "disconnect everywhere", follow its id.
      this.conn.actAs(this.user.id);
      if (this.closing) return this.ctx.core.names.release(this.user.name, this.conn.id);
    }
    this.conn.ready();
    this.send({ welcome: 1, user: wireUser(this.user) });
  }

  async handle(frame: Frame): Promise<void> {
    if ("heart-beat" in frame) {
      if (typeof frame["heart-beat"] !== "number") return this.badRequest({}, { "heart-beat": "must be a number" });
      return this.send({ "heart-beat-ack": frame["heart-beat"] });
    }
    if ("v" in frame && !("o" in frame)) return this.send({ welcome: 1, user: wireUser(this.user) });
    if ("identity" in frame) return this.identify(frame);
    if ("o" in frame || "r" in frame) return this.rooms.handle(frame);
    this.badRequest({}, { o: "required" });
  }

  badRequest(echo: JsonObject, errors: Record<string, string>): void {
    this.conn.refuse(errorFrame(400, "request.bad", echo, errors), "400");
  }

  private async identify(frame: Frame): Promise<void> {
    const parsed = identifySchema.safeParse(frame);
    const refuse = (code: string) => this.send({ identified: false, reason: { code } });
    // The first field that is not even a string names the refusal: identity, then mail, then token.
    if (!parsed.success) return refuse(IDENTIFY_REFUSALS[String(parsed.error.issues[0]?.path[0])] ?? "name.invalid");
    if (!NAME.test(parsed.data.identity)) return refuse("name.invalid");
    const { identity: name, mail, token } = parsed.data;
    if (mail && !MAIL.test(mail)) return refuse("mail.invalid");
    const core = this.ctx.core;
    let next: Identity;
    if (token) {
      const auth = await core.auth.verify(token);
      if (this.closing) return;
      if (!auth || auth.identity.name.toLowerCase() !== name.toLowerCase()) return refuse("token.invalid");
      if (this.tokenAccount !== null && auth.identity.id !== this.tokenAccount) return refuse("token.invalid");
      next = { ...auth.identity, id: this.user.id };
      this.conn.watch(auth);
    } else {
      const free = await this.claimFree(name, colorFor(name));
      if (free === null) return;
      if (typeof free === "string") return refuse(free);
      next = free;
    }
    await this.become(next);
  }

  /**
   * The original client's rename, `{"r":"*","o":"set-user-info","data":{"name","color"}}`:
   * identify with a free name (the same checks, refusals and answer), with the
   * colour it chose (`#` and six hex digits) instead of the name's.
   */
  async rename(data: unknown): Promise<void> {
    const parsed = renameSchema.safeParse(data);
    const refuse = (code: string) => this.send({ identified: false, reason: { code } });
    if (!parsed.success || !NAME.test(parsed.data.name)) return refuse("name.invalid");
    const { name, color } = parsed.data;
    if (color && !COLOR.test(color)) return refuse("color.invalid");
    const next = await this.claimFree(name, color ? color.toUpperCase() : colorFor(name));
    if (next === null) return;
    if (typeof next === "string") return refuse(next);
    await this.become(next);
  }

  /** `name` claimed for this socket as a free name: the new identity, a refusal code, or null when the socket closed meanwhile. */
  private async claimFree(name: string, color: string): Promise<Identity | string | null> {
    const core = this.ctx.core;
    const taken = await core.auth.isAccountName(name);
    if (this.closing) return null;
    if (taken) return "name.taken";
    if (!(await core.names.claim(name, this.conn.id))) return "name.taken";
    if (this.closing) {
      core.names.release(name, this.conn.id);
      return null;
    }
    return { id: this.user.id, name, color, verified: false, guest: this.user.guest };
  }

  /** The user is `next` from now on: its old name goes, it is told, and every room it is in gets a stored set-user-info. */
  private async become(next: Identity): Promise<void> {
    if (next.name.toLowerCase() !== this.user.name.toLowerCase()) this.ctx.core.names.release(this.user.name, this.conn.id);
    this.user = next;
    this.send({ identified: true, user: wireUser(next) });
    await this.rooms.announceUserInfo();
  }

  /** Once the last request ran: the name goes, and the rooms hear a disconnect. */
  async closed(): Promise<void> {
    this.ctx.core.names.release(this.user.name, this.conn.id);
    await this.rooms.leaveAll();
  }
}
