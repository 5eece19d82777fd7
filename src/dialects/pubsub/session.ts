import type { JsonObject } from "../../core/json.js";
import { TokenBucket } from "../../core/rate-limit.js";
import type { SessionRecord } from "../../core/topics/sessions.js";
import type { Identity, OutFrame } from "../../core/types.js";
import type { Timed } from "../../transport/timer-wheel.js";
import type { WsConnection } from "../../transport/ws-connection.js";
import { watchCredential } from "../common/credential-watch.js";
import type { DialectContext } from "../types.js";
import { envelope, reason } from "./frames.js";
import { TopicPermissions } from "./permissions.js";
import { errorFrame, type RequestId } from "./render.js";
import { handleRequest } from "./requests.js";
import { Subscriptions, type TopicSub } from "./subscriptions.js";
import type { ExternalVerifiers } from "./verifier.js";
import { MAX_JSON_DEPTH, tooDeep } from "../common/json-depth.js";

export interface Request {
  op: string;
  id: RequestId;
  frame: Record<string, unknown>;
}

/** Room for `op`, `id` and `topics` around the largest allowed `data`. */
const ENVELOPE_BYTES = 16 * 1024;

const MESSAGES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "session expired",
  413: "Payload Too Large",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

const NOBODY: Identity = { id: "", name: "", color: "#888888", verified: false, guest: true };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** One /pubsub WebSocket: connect or resume, then sub/unsub/pub; the session it holds outlives it. */
export class PubsubSession implements Timed {
  deadline: number;
  user: Identity = NOBODY;
  sessionId: string | null = null;
  /** Cursors moved since the session was last written. */
  dirty = false;
  permissions: TopicPermissions | null = null;
  readonly subs: Subscriptions;
  readonly finished: Promise<void>;
  private phase: "new" | "ready" | "closed" = "new";
  private epoch = 0;
  private credential: SessionRecord["credential"] = null;
  /** Requests are handled one after another, so a sub completes before the next frame uses it. */
  private chain: Promise<void> = Promise.resolve();
  private readonly bucket: TokenBucket;
  private lastSaved = 0;
  private saving = false;
  private stops: Array<() => void> = [];
  private finish: () => void = () => undefined;
  /**
   * Subscriptions with frames queued on the connection but not yet known to
   * be written. The connection drops its queue if it closes before the turn's
   * flush, so a cursor moves only once that flush ran on an open socket.
   */
  private readonly unconfirmed = new Set<TopicSub>();
  /** Pushes held while a `pub` is stored, so its success goes out before the publisher's own `mesg`; null otherwise. */
  private heldPushes: Array<[TopicSub, OutFrame]> | null = null;
  private heldBytes = 0;

  constructor(
    readonly conn: WsConnection,
    readonly ctx: DialectContext,
    readonly verifiers: ExternalVerifiers,
  ) {
    this.subs = new Subscriptions(this);
    this.bucket = new TokenBucket(ctx.config.limits.messagesPerSecond, ctx.config.limits.burst);
    this.finished = new Promise((resolve) => (this.finish = resolve));
    this.deadline = Date.now() + ctx.config.pubsub.connectGraceMs;
    ctx.wheel.schedule(this);
    conn.bind({ onFrame: (data) => this.onFrame(data), onClose: () => this.onClose() });
  }

  get connId(): string {
    return this.conn.id;
  }

  get ready(): boolean {
    return this.phase === "ready";
  }

  get closed(): boolean {
    return this.phase === "closed";
  }

  send(text: string): void {
    this.conn.send(text);
  }

  refuse(op: string | null, id: RequestId, code: number, message = MESSAGES[code], extra: JsonObject = {}): void {
    this.ctx.metrics.protocolErrors.inc({ dialect: "pubsub", code: String(code) });
    this.send(errorFrame(op, id, code, message, extra));
  }

  /** Requests that failed unexpectedly: logged, and answered 500 (nothing was acknowledged). */
  failed(err: unknown, op: string | null, id: RequestId): void {
    this.ctx.log.error({ err, conn: this.connId, op }, "pubsub request failed");
    this.refuse(op, id, 500);
  }

  /** From now until `releasePushes`, every push for this connection waits (in order). */
  holdPushes(): void {
    this.heldPushes ??= [];
  }

  /** A push for `sub`: written now, or held behind the reply being prepared. */
  push(sub: TopicSub, frame: OutFrame): void {
    if (!this.heldPushes) return sub.write(frame);
    this.heldPushes.push([sub, frame]);
    this.heldBytes += frame.text.length;
    // A slow store under a flood of pushes does not buffer without bound: past what the
    // connection itself would queue, they go out now, in order, before the reply.
    if (this.heldBytes > this.ctx.config.limits.maxQueueBytes) this.releasePushes();
  }

  /** The held pushes go out in the order they came; each cursor moves only once its frame is written. */
  releasePushes(): void {
    const held = this.heldPushes ?? [];
    this.heldPushes = null;
    this.heldBytes = 0;
    for (const [sub, frame] of held) sub.write(frame);
  }

  /** Only a connection that never connected is timed out: the protocol has no heartbeat. */
  onDeadline(): void {
    if (this.phase === "new") this.end(1008, "connect required");
  }

  end(code: number, reason: string): void {
    this.ctx.wheel.cancel(this);
    this.conn.close(code, reason);
  }

  /** The cursor moves once the connection reports this turn's frames written to the open socket. */
  toConfirm(sub: TopicSub): void {
    if (this.unconfirmed.size === 0) this.conn.onFlushed(() => this.confirm());
    this.unconfirmed.add(sub);
  }

  private confirm(): void {
    for (const sub of this.unconfirmed) if (sub.written !== sub.cursor) sub.cursor = sub.written;
    if (this.unconfirmed.size > 0) this.dirty = true;
    this.unconfirmed.clear();
  }

  /** The connection now holds session `id` as `user`. */
  async begin(id: string, user: Identity, credential: SessionRecord["credential"], epoch: number): Promise<void> {
    this.sessionId = id;
    this.user = user;
    this.credential = credential;
    this.epoch = epoch;
    this.lastSaved = Date.now();
    this.permissions = new TopicPermissions(this.ctx.config.pubsub.topics, user.id);
    if (this.phase === "closed") return;
    this.phase = "ready";
    this.ctx.wheel.cancel(this);
    if (credential) {
      const auth = { identity: user, ...credential, authType: "password" as const };
      this.stops.push(
        watchCredential(this.ctx.core, this.ctx.wheel, auth, (why) => {
          this.send(errorFrame("connect", null, 401, `token ${why}`));
          this.end(1008, `token ${why}`);
        }),
      );
    }
    const stop = await this.ctx.core.topics.sessions.watch(id, this.connId, epoch, () => this.end(1000, "session resumed elsewhere"));
    // The socket may have closed while the watch was set up.
    if (this.closed) stop();
    else this.stops.push(stop);
  }

  private record(live: boolean, cursors = this.subs.cursors()): SessionRecord {
    return { user: this.user, credential: this.credential, cursors, live, epoch: this.epoch };
  }

  async save(): Promise<void> {
    if (!this.sessionId || this.phase !== "ready") return;
    this.dirty = false;
    this.lastSaved = Date.now();
    await this.ctx.core.topics.sessions.save(this.sessionId, this.record(true));
  }

  /** Called by the node's ticker: moved cursors are written now and then, and a live record is kept from expiring. */
  checkpoint(now: number): void {
    const { checkpointMs, sessionTtlMs } = this.ctx.config.pubsub;
    const age = now - this.lastSaved;
    if (this.saving || !(age >= sessionTtlMs / 3 || (this.dirty && age >= checkpointMs))) return;
    this.saving = true;
    void this.save()
      .catch((err: unknown) => this.ctx.log.error({ err, conn: this.connId }, "pubsub session checkpoint failed"))
      .finally(() => (this.saving = false));
  }

  private onFrame(data: Buffer): void {
    if (this.phase === "closed") return;
    this.ctx.metrics.framesIn.inc({ dialect: "pubsub" });
    const oversize = data.length > this.ctx.config.pubsub.maxDataBytes + ENVELOPE_BYTES;
    let frame: unknown;
    try {
      frame = oversize ? undefined : JSON.parse(data.toString("utf8"));
    } catch {
      frame = undefined;
    }
    const obj = isObject(frame) ? frame : null;
    const op = typeof obj?.op === "string" ? obj.op : null;
    const id = typeof obj?.id === "string" || typeof obj?.id === "number" ? obj.id : null;
    // Refusals queue behind earlier requests like any reply: a connection's answers keep its requests' order.
    const work = !this.bucket.take()
      ? () => this.refuse(op, id, 429)
      : oversize
        ? () => this.refuse(null, null, 413)
        : !obj
          ? () => this.refuse(null, null, 400, "Bad Request: not a JSON object")
          : tooDeep(obj)
            ? () => this.refuse(op, id, 400, `Bad Request: JSON nested deeper than ${MAX_JSON_DEPTH} levels`)
            : () => this.dispatch(obj, op, id);
    this.chain = this.chain.then(work).catch((err: unknown) => this.failed(err, op, id));
  }

  private dispatch(frame: Record<string, unknown>, op: string | null, id: RequestId): Promise<void> | void {
    if (this.phase === "closed") return;
    const parsed = envelope.safeParse(frame);
    if (!parsed.success) return this.refuse(op, id, 400, `Bad Request: ${reason(parsed.error)}`);
    return handleRequest(this, { op: parsed.data.op, id: parsed.data.id ?? null, frame });
  }

  private onClose(): void {
    this.phase = "closed";
    this.ctx.wheel.cancel(this);
    for (const stop of this.stops.splice(0)) stop();
    this.chain = this.chain
      .then(() => this.cleanup())
      .catch((err: unknown) => this.ctx.log.error({ err, conn: this.connId }, "pubsub cleanup failed"))
      .finally(() => this.finish());
  }

  /** Members leave at once; the session stays resumable with the cursors it had. */
  private async cleanup(): Promise<void> {
    const { cursors, left } = this.subs.removeAll();
    if (this.sessionId) await this.ctx.core.topics.sessions.release(this.sessionId, this.record(false, cursors));
    await left;
  }
}
