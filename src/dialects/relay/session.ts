import { timingSafeEqual } from "node:crypto";
import type { AuthSession } from "../../core/auth.js";
import type { Kick } from "../../core/room-access.js";
import type { Identity, OutFrame, Subscriber } from "../../core/types.js";
import { ClientConnection } from "../../connection/client-connection.js";
import type { Handlers } from "../../connection/protocol.js";
import type { DialectContext, Transport } from "../types.js";
import type { Invites } from "./invites.js";
import { CLOSE, refusal, relayProtocol } from "./protocol.js";
import { relayRenderer, unixSeconds } from "./render.js";
import { RoomOps } from "./room-ops.js";
import type { AnyRequest } from "./schema.js";

export { CLOSE } from "./protocol.js";

/** One relay client, bound for its whole life to the user of the session key it opened with. */
export class RelaySession implements Subscriber, Handlers<AnyRequest> {
  readonly renderer = relayRenderer;
  readonly user: Identity;
  readonly conn: ClientConnection<AnyRequest, string>;
  /** Read by the hub for every delivery: a field, not a getter chain. */
  readonly connId: string;
  private readonly keyBytes: Buffer;
  private readonly rooms: RoomOps;

  constructor(
    transport: Transport,
    readonly ctx: DialectContext,
    key: string,
    auth: AuthSession,
    readonly invites: Invites,
    private readonly onGone: (s: RelaySession) => void,
  ) {
    this.user = auth.identity;
    this.keyBytes = Buffer.from(key);
    this.rooms = new RoomOps(this);
    this.conn = new ClientConnection(ctx.clients, transport, relayProtocol, this);
    this.connId = this.conn.id;
    this.conn.actAs(auth.identity.id);
    this.conn.watch(auth);
    const { pingIntervalMs, pongTimeoutMs } = ctx.config.relay;
    this.conn.startHeartbeat(pingIntervalMs, pongTimeoutMs, (now) => this.ping(now), { code: CLOSE.pongTimeout, reason: "pong timeout" });
    this.conn.enqueue(() => this.start(key));
  }


  deliver(frame: OutFrame): void {
    this.conn.push(frame);
  }

  sendText(text: string): void {
    this.conn.send(text);
  }

  /** Server pings carry the time (UNIX seconds); their pong must carry it back. */
  private ping(now: number): number {
    const time = unixSeconds(now);
    this.sendText(JSON.stringify({ type: "ping", time }));
    return time;
  }

  /** Reachable for invites, then what waited while the user was away; a key revoked before the watch began still ends the socket. */
  private async start(key: string): Promise<void> {
    try {
      const held = await this.invites.connect(this, this.user);
      for (const frame of held) this.sendText(frame);
      if (!(await this.ctx.core.accounts.resolveSessionKey(key))) this.conn.close(CLOSE.keyEnded, "key revoked");
    } catch (err) {
      this.logFailure(err, "connect");
    }
  }

  ownsKey(key: string): boolean {
    const bytes = Buffer.from(key);
    return bytes.length === this.keyBytes.length && timingSafeEqual(bytes, this.keyBytes);
  }

  refuse(code: string, message: string, ref: string | null): void {
    const { text } = refusal(code, message, ref);
    this.conn.refuse(text!, code);
  }

  kicked(kick: Kick, frame: string): void {
    // Behind the request in progress: a message accepted before the kick reaches everyone (its sender too) before the exit.
    this.conn.enqueue(() => {
      this.sendText(frame);
      this.rooms.kicked(kick);
    });
  }

  /** Logs what failed, never what was said: relay content must not reach the logs. */
  logFailure(err: unknown, type: string): void {
    const reason = err instanceof Error ? err.name : "error";
    this.ctx.log.error({ conn: this.conn.id, type, reason }, "relay request failed");
  }

  /** A right pong answers the wheel, not a request: it must not wait behind slow work, nor be rate limited. */
  immediate(req: AnyRequest): boolean {
    return req.type === "pong" && this.conn.pong(req.time);
  }

  async handle(req: AnyRequest): Promise<void> {
    if (req.type === "pong") return this.refuse("pong.unexpected", "no ping with this time is waiting for a pong", "pong");
    if (req.type === "ping") return this.sendText(JSON.stringify({ type: "pong", time: req.time }));
    if ("key" in req && !this.ownsKey(req.key)) return this.refuse("key.mismatch", "key is not this socket's session key", req.type);
    await this.rooms.handle(req);
  }

  failed(err: unknown, req: AnyRequest): void {
    this.logFailure(err, req.type);
    this.refuse("internal.error", "the server could not complete this request", req.type);
  }

  async closed(): Promise<void> {
    this.onGone(this);
    try {
      await this.rooms.leaveAll();
      await this.invites.disconnect(this);
    } catch (err) {
      this.logFailure(err, "disconnect");
    }
  }
}
