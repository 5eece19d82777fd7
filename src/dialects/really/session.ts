import type { AuthSession } from "../../core/auth.js";
import { randomId } from "../../core/identity.js";
import type { OutFrame, Subscriber, UserRef } from "../../core/types.js";
import { ClientConnection } from "../../connection/client-connection.js";
import type { Handlers } from "../../connection/protocol.js";
import type { DialectContext, Transport } from "../types.js";
import type { Caller } from "./caller.js";
import { runCommand } from "./commands.js";
import { ReallyError } from "./errors.js";
import { Follows } from "./follows.js";
import { reallyProtocol, type Tagged } from "./protocol.js";
import { errorFrame, reallyRenderer, type WireError } from "./render.js";
import { rOf } from "./resource.js";
import { COMMANDS, initializeSchema } from "./schema.js";
import { RoomRefusal } from "../../core/room-records.js";

const BAD_TOKEN = "invalid/incorrect/expired access token";

/** One really client: initialize with an access token, then tagged commands over the core. */
export class ReallySession implements Subscriber, Caller, Handlers<Tagged> {
  readonly renderer = reallyRenderer;
  readonly follows: Follows;
  /** Shown to the client; a handle, not the transport's internal id. */
  readonly connectionHandle = randomId(10);
  readonly conn: ClientConnection<Tagged, number>;
  /** Read by the hub for every delivery: a field, not a getter chain. */
  readonly connId: string;
  private session: AuthSession | null = null;

  constructor(
    transport: Transport,
    readonly ctx: DialectContext,
  ) {
    this.follows = new Follows(ctx.core.hub, this, ctx.config.really.maxSubscriptions);
    this.conn = new ClientConnection(ctx.clients, transport, reallyProtocol, this);
    this.connId = this.conn.id;
  }

  get core() {
    return this.ctx.core;
  }

  get config() {
    return this.ctx.config.really;
  }


  /** Only initialized sockets ever subscribe, so the placeholder never reaches the hub. */
  get user(): UserRef {
    return this.session?.identity ?? { id: `uninitialized:${this.conn.id}`, name: "" };
  }

  get auth(): AuthSession {
    if (!this.session) throw new Error("not initialized");
    return this.session;
  }

  deliver(frame: OutFrame): void {
    this.conn.push(frame);
  }

  afterReply(fn: () => void): void {
    this.conn.afterReply(fn);
  }

  push(text: string): void {
    this.conn.push(text);
  }

  /** Idle for `idleMs`: an initialized socket is told `kicked`; before that the server says nothing at all. */
  expired(): void {
    if (this.session) this.send({ evt: "kicked" });
    this.conn.close(1000, "idle");
  }

  private send(value: unknown): void {
    this.conn.send(JSON.stringify(value));
  }

  private refuse(error: WireError, tag?: number, r?: string): void {
    this.conn.refuse(errorFrame(error, tag, r), String(error.code));
  }

  failed(err: unknown, { request }: Tagged): void {
    this.ctx.log.error({ err, conn: this.conn.id, cmd: request.cmd }, "really command failed");
    this.refuse({ code: 500, message: "internal.error" }, request.tag, request.r);
  }

  async handle({ request, raw }: Tagged): Promise<void> {
    const { tag } = request;
    if (request.cmd === "initialize") return this.initialize(tag, raw);
    if (!this.session) return this.refuse({ code: 400, message: "initialize.required" }, tag);
    if (request.cmd === "ping") return this.send({ tag, evt: "pinged" });
    // really.js's heart-beat; like any frame, it keeps the socket from idling out.
    if (request.cmd === "poke") return this.send({ tag, evt: "poked", timestamp: raw.timestamp });
    if (!(COMMANDS as readonly string[]).includes(request.cmd)) return this.refuse({ code: 454, message: "command.unknown" }, tag);
    // The pushes this command causes (and any that come meanwhile) follow its reply.
    this.conn.hold();
    try {
      const reply = await runCommand(this, request);
      if (!this.conn.ending) this.send({ tag, ...reply });
    } catch (err) {
      if (err instanceof RoomRefusal) return this.refuse({ code: 403, message: err.code }, tag, request.r);
      if (!(err instanceof ReallyError)) throw err;
      this.refuse(err, tag, request.r);
    }
  }

  private async initialize(tag: number, raw: unknown): Promise<void> {
    if (this.session) return this.refuse({ code: 400, message: "already.initialized" }, tag);
    const parsed = initializeSchema.safeParse(raw);
    const auth = parsed.success ? await this.core.auth.verify(parsed.data.accessToken).catch(() => null) : null;
    if (!auth) return this.refuse({ code: 401, message: BAD_TOKEN }, tag);
    if (this.conn.ending) return;
    this.session = auth;
    this.conn.actAs(auth.identity.id);
    this.conn.watch(auth);
    const user = { _r: rOf.user(auth.identity.id), name: auth.identity.name, authType: auth.authType };
    this.send({ tag, evt: "initialized", body: { "connection-handle": this.connectionHandle, user } });
  }

  /** After whatever command was running: it may still have been attaching a subscription. */
  closed(): void {
    this.follows.clear();
  }
}
