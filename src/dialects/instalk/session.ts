import { randomInt } from "node:crypto";
import type { JsonObject } from "../../core/json.js";
import { colorFor, guestIdentity } from "../../core/identity.js";
import { TokenBucket } from "../../core/rate-limit.js";
import type { Identity, OutFrame, Subscriber } from "../../core/types.js";
import type { AuthSession } from "../../core/auth.js";
import type { Timed } from "../../transport/timer-wheel.js";
import { watchCredential } from "../common/credential-watch.js";
import { tooDeep } from "../common/json-depth.js";
import type { WsConnection } from "../../transport/ws-connection.js";
import type { DialectContext } from "../types.js";
import { RoomOps } from "./room-ops.js";
import { errorFrame, instalkRenderer, wireUser } from "./render.js";
import { IDENTIFY_REFUSALS, identifySchema, MAIL, NAME, SUPPORTED_VERSIONS } from "./schema.js";

type Frame = Record<string, unknown>;

/** A frame's JSON object, or null when it is not JSON, not an object, or absurdly deep. */
function parseObject(data: Buffer): Frame | null {
  try {
    const value: unknown = JSON.parse(data.toString("utf8"));
    return typeof value === "object" && value !== null && !Array.isArray(value) && !tooDeep(value) ? (value as Frame) : null;
  } catch {
    return null;
  }
}

/** One instalk WebSocket: init, identify, heart-beat, and room operations through the core. */
export class InstalkSession implements Subscriber, Timed {
  readonly renderer = instalkRenderer;
  user: Identity;
  deadline: number;
  private phase: "waiting" | "initializing" | "ready" = "waiting";
  private closing = false;
  /** Frames are handled one after another so that a join completes before the next frame uses the room. */
  private chain: Promise<void> = Promise.resolve();
  private readonly bucket: TokenBucket;
  /** Every credential this socket has used: any of them ending ends the socket. */
  private readonly watches = new Map<string, () => void>();
  /** The account a token on the upgrade made this socket; identify may not swap it for another's. */
  private tokenAccount: string | null = null;
  /** Whether `user.name` is claimed for this socket (a guest's placeholder name is not). */
  private nameHeld = false;
  readonly rooms: RoomOps;

  constructor(
    readonly conn: WsConnection,
    readonly ctx: DialectContext,
    token: string | null,
  ) {
    // A placeholder until the init: the guest name is claimed (fleet-wide) before the welcome names it.
    this.user = guestIdentity();
    const limits = ctx.config.limits;
    this.bucket = new TokenBucket(limits.messagesPerSecond, limits.burst);
    this.rooms = new RoomOps(this);
    this.deadline = Date.now() + ctx.config.instalk.graceMs;
    ctx.wheel.schedule(this);
    conn.bind({ onFrame: (data) => this.onFrame(data), onClose: () => this.onClose() });
    if (token) this.chain = this.adoptToken(token);
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
    this.watchToken(auth);
  }

  /** A revoked or expired token ends the socket: told with a 401 error frame, then closed. */
  private watchToken(auth: AuthSession): void {
    // The same token identified again is watched once: a socket's watches are bounded by the tokens it used.
    if (this.watches.has(auth.revocationId)) return;
    this.watches.set(auth.revocationId, watchCredential(this.ctx.core, this.ctx.wheel, auth, (why) => {
      this.sendText(errorFrame(401, why === "revoked" ? "token.revoked" : "token.expired"));
      this.end(1008, `token ${why}`);
    }));
  }

  get connId(): string {
    return this.conn.id;
  }

  deliver(frame: OutFrame): void {
    this.conn.send(frame);
  }

  kickedFrom(roomId: string, permanent: boolean): void {
    this.chain = this.chain.then(() => (this.closing ? undefined : this.rooms.kicked(roomId, permanent)));
  }

  send(value: unknown): void {
    this.conn.send(JSON.stringify(value));
  }

  sendText(text: string): void {
    this.conn.send(text);
  }

  onDeadline(): void {
    this.send({ timeout: 1 });
    this.end(1000, "timeout");
  }

  end(code: number, reason: string): void {
    this.closing = true;
    this.ctx.wheel.cancel(this);
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

  private onFrame(data: Buffer): void {
    if (this.closing) return;
    this.ctx.metrics.framesIn.inc({ dialect: "instalk" });
    const tooLarge = data.length > this.ctx.config.limits.maxFrameBytes;
    if (this.phase === "waiting") {
      // Whatever the first frame is — oversize and malformed included — it is the init or it is init.required.
      this.phase = "initializing";
      const first = tooLarge ? null : parseObject(data);
      this.chain = this.chain.then(() => this.init(first));
      return;
    }
    if (this.phase === "ready") this.deadline = Date.now() + this.ctx.config.instalk.idleMs;
    // Every frame after the first costs a token, malformed and oversize ones too: a flood of junk is still a flood.
    // Refusals queue behind earlier frames like any reply, so a socket's answers keep its frames' order.
    const frame = tooLarge ? null : parseObject(data);
    const work = !this.bucket.take()
      ? () => this.protocolError(429, "rate.limited")
      : tooLarge
        ? () => this.protocolError(413, "frame.too-large")
        : frame === null
          ? () => this.protocolError(400, "json.malformed")
          : () => this.dispatch(frame).catch((err: unknown) => this.internalError(frame, err));
    // Queued behind the init: if that refused the connection, nothing after it runs.
    this.chain = this.chain.then(() => (this.closing || this.phase !== "ready" ? undefined : work()));
  }

  private protocolError(code: number, msg: string): void {
    this.ctx.metrics.protocolErrors.inc({ dialect: "instalk", code: String(code) });
    this.sendText(errorFrame(code, msg));
  }

  private internalError(frame: Frame, err: unknown): void {
    this.ctx.log.error({ err, conn: this.conn.id, o: frame.o }, "instalk operation failed");
    const echo: JsonObject = {};
    if (typeof frame.r === "string") echo.r = frame.r;
    if (typeof frame.o === "string") echo.o = frame.o;
    this.sendText(errorFrame(500, "internal.error", echo));
  }

  private async init(frame: Frame | null): Promise<void> {
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
      if (this.closing) return this.ctx.core.names.release(this.user.name, this.conn.id);
    }
    this.phase = "ready";
    this.deadline = Date.now() + this.ctx.config.instalk.idleMs;
    this.send({ welcome: 1, user: wireUser(this.user) });
  }

  private async dispatch(frame: Frame): Promise<void> {
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
    this.ctx.metrics.protocolErrors.inc({ dialect: "instalk", code: "400" });
    this.sendText(errorFrame(400, "request.bad", echo, errors));
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
      this.watchToken(auth);
    } else {
      const taken = await core.auth.isAccountName(name);
      if (this.closing) return;
      if (taken) return refuse("name.taken");
      if (!(await core.names.claim(name, this.conn.id))) return refuse("name.taken");
      if (this.closing) return core.names.release(name, this.conn.id);
      next = { id: this.user.id, name, color: colorFor(name), verified: false, guest: this.user.guest };
    }
    if (next.name.toLowerCase() !== this.user.name.toLowerCase()) core.names.release(this.user.name, this.conn.id);
    this.user = next;
    this.send({ identified: true, user: wireUser(next) });
    await this.rooms.announceUserInfo();
  }

  private onClose(): void {
    this.closing = true;
    this.ctx.wheel.cancel(this);
    for (const stop of this.watches.values()) stop();
    this.watches.clear();
    this.ctx.core.names.release(this.user.name, this.conn.id);
    this.chain = this.chain.then(() => this.rooms.leaveAll()).catch((err: unknown) => {
      this.ctx.log.error({ err, conn: this.conn.id }, "instalk cleanup failed");
    });
  }
}
