import { timingSafeEqual } from "node:crypto";
import type { AuthSession } from "../../core/auth.js";
import type { Kick } from "../../core/room-access.js";
import { TokenBucket } from "../../core/rate-limit.js";
import type { Identity, OutFrame, Subscriber } from "../../core/types.js";
import type { WsConnection } from "../../transport/ws-connection.js";
import { watchCredential } from "../common/credential-watch.js";
import type { DialectContext } from "../types.js";
import { Heartbeat } from "./heartbeat.js";
import type { Invites } from "./invites.js";
import { errorFrame, relayRenderer } from "./render.js";
import { RoomOps } from "./room-ops.js";
import { readFrame, type AnyRequest } from "./schema.js";

/** Close codes: 4xxx mirrors the HTTP status of the same meaning. */
export const CLOSE = { keyEnded: 4401, pongTimeout: 4408 } as const;

/** One relay WebSocket, bound for its whole life to the user of the session key it opened with. */
export class RelaySession implements Subscriber {
  readonly renderer = relayRenderer;
  readonly user: Identity;
  private readonly keyBytes: Buffer;
  private closing = false;
  /** Requests run one after another, so a reply (or a pong) follows everything asked before it. */
  private chain: Promise<void> = Promise.resolve();
  private readonly bucket: TokenBucket;
  private readonly heartbeat: Heartbeat;
  private readonly unwatch: () => void;
  private readonly rooms: RoomOps;

  constructor(
    readonly conn: WsConnection,
    readonly ctx: DialectContext,
    key: string,
    auth: AuthSession,
    readonly invites: Invites,
    private readonly onGone: (s: RelaySession) => void,
  ) {
    this.user = auth.identity;
    this.keyBytes = Buffer.from(key);
    this.bucket = new TokenBucket(ctx.config.limits.messagesPerSecond, ctx.config.limits.burst);
    this.rooms = new RoomOps(this);
    const { pingIntervalMs, pongTimeoutMs } = ctx.config.relay;
    this.heartbeat = new Heartbeat(ctx.wheel, pingIntervalMs, pongTimeoutMs, {
      ping: (time) => this.sendText(JSON.stringify({ type: "ping", time })),
      lost: () => this.end(CLOSE.pongTimeout, "pong timeout"),
      kill: () => conn.terminate(),
    });
    this.unwatch = watchCredential(ctx.core, ctx.wheel, auth, (why) => this.end(CLOSE.keyEnded, `key ${why}`));
    conn.bind({ onFrame: (data) => this.onFrame(data), onClose: () => this.onClose() });
    this.chain = this.start(key).catch((err: unknown) => this.logFailure(err, "connect"));
  }

  get connId(): string {
    return this.conn.id;
  }

  deliver(frame: OutFrame): void {
    this.conn.send(frame);
  }

  sendText(text: string): void {
    this.conn.send(text);
  }

  /** Reachable for invites, then what waited while the user was away; a key revoked before the watch began still ends the socket. */
  private async start(key: string): Promise<void> {
    const held = await this.invites.connect(this, this.user);
    for (const frame of held) this.sendText(frame);
    if (!(await this.ctx.core.accounts.resolveSessionKey(key))) this.end(CLOSE.keyEnded, "key revoked");
  }

  ownsKey(key: string): boolean {
    const bytes = Buffer.from(key);
    return bytes.length === this.keyBytes.length && timingSafeEqual(bytes, this.keyBytes);
  }

  refuse(code: string, message: string, ref: string | null): void {
    this.ctx.metrics.protocolErrors.inc({ dialect: "relay", code });
    this.sendText(errorFrame(code, message, ref));
  }

  end(code: number, reason: string): void {
    this.closing = true;
    this.conn.close(code, reason);
  }

  kicked(kick: Kick, frame: string): void {
    // Behind the request in progress: a message accepted before the kick reaches everyone (its sender too) before the exit.
    this.chain = this.chain.then(() => {
      if (this.closing) return;
      this.sendText(frame);
      this.rooms.kicked(kick);
    });
  }

  /** Logs what failed, never what was said: relay content must not reach the logs. */
  logFailure(err: unknown, type: string): void {
    const reason = err instanceof Error ? err.name : "error";
    this.ctx.log.error({ conn: this.conn.id, type, reason }, "relay request failed");
  }

  private onFrame(data: Buffer): void {
    if (this.closing) return;
    this.ctx.metrics.framesIn.inc({ dialect: "relay" });
    const read = readFrame(data, this.ctx.config.limits.maxFrameBytes);
    // A right pong answers the wheel, not a request: it must not wait behind slow work, nor be rate limited.
    if (read.ok && read.request.type === "pong" && this.heartbeat.pong(read.request.time)) return;
    // Malformed frames count too: a flood of garbage costs its sender, not the server.
    const limited = !this.bucket.take();
    this.chain = this.chain.then(async () => {
      if (this.closing) return;
      if (limited) return this.refuse("rate.limited", "too many requests; slow down", read.ok ? read.request.type : read.ref);
      if (!read.ok) return this.refuse(read.code, read.message, read.ref);
      await this.dispatch(read.request);
    });
  }

  private async dispatch(req: AnyRequest): Promise<void> {
    if (req.type === "pong") return this.refuse("pong.unexpected", "no ping with this time is waiting for a pong", "pong");
    if (req.type === "ping") return this.sendText(JSON.stringify({ type: "pong", time: req.time }));
    if ("key" in req && !this.ownsKey(req.key)) return this.refuse("key.mismatch", "key is not this socket's session key", req.type);
    await this.rooms.handle(req).catch((err: unknown) => {
      this.logFailure(err, req.type);
      this.refuse("internal.error", "the server could not complete this request", req.type);
    });
  }

  private onClose(): void {
    this.closing = true;
    this.heartbeat.stop();
    this.unwatch();
    this.onGone(this);
    this.chain = this.chain
      .then(async () => {
        await this.rooms.leaveAll();
        await this.invites.disconnect(this);
      })
      .catch((err: unknown) => this.logFailure(err, "disconnect"));
  }
}
