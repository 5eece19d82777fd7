import type { AuthSession } from "../../core/auth.js";
import { randomId } from "../../core/identity.js";
import { TokenBucket } from "../../core/rate-limit.js";
import type { OutFrame, Subscriber, UserRef } from "../../core/types.js";
import type { Timed } from "../../transport/timer-wheel.js";
import type { WsConnection } from "../../transport/ws-connection.js";
import { watchCredential } from "../common/credential-watch.js";
import type { DialectContext } from "../types.js";
import type { Caller } from "./caller.js";
import { runCommand } from "./commands.js";
import { ReallyError } from "./errors.js";
import { Follows } from "./follows.js";
import { errorFrame, reallyRenderer, type WireError } from "./render.js";
import { rOf } from "./resource.js";
import { COMMANDS, initializeSchema, issuesToErrors, requestSchema, type Request } from "./schema.js";
import { MAX_JSON_DEPTH, tooDeep } from "../common/json-depth.js";

const BAD_TOKEN = "invalid/incorrect/expired access token";
const RATE_LIMITED: WireError = { code: 429, message: "rate.limited" };
const TOO_LARGE: WireError = { code: 413, message: "frame.too-large" };
/**
 * Refused frames that may wait for their turn beyond the burst the bucket
 * admits: refusals queue behind earlier requests (replies go out in arrival
 * order), so a client flooding while a command runs would otherwise pile them
 * up without bound.
 */
const MAX_WAITING = 1000;

/** The request's tag when it has a usable one, so even a refused request can be matched to its reply. */
function tagOf(value: unknown): number | undefined {
  const tag = (value as { tag?: unknown } | null)?.tag;
  return Number.isSafeInteger(tag) && (tag as number) >= 0 ? (tag as number) : undefined;
}

/** One really WebSocket: initialize with an access token, then tagged commands over the core. */
export class ReallySession implements Subscriber, Timed, Caller {
  readonly renderer = reallyRenderer;
  readonly follows: Follows;
  /** Shown to the client; a handle, not the transport's internal id. */
  readonly handle = randomId(10);
  deadline: number;
  private session: AuthSession | null = null;
  private closing = false;
  /** Requests are answered one after another, in the order they came. */
  private chain: Promise<void> = Promise.resolve();
  private readonly bucket: TokenBucket;
  /** Frames read and not yet answered: a client that floods past this while they wait is cut off. */
  private waiting = 0;
  /** After a frame that ends the socket (malformed JSON): later frames are not read. */
  private deaf = false;
  private unwatch: () => void = () => undefined;
  private afterReplies: Array<() => void> = [];
  /**
   * Pushes that arrive while a command runs wait here until its reply has been
   * sent (a client hears "created" after the ack of its own create); null when
   * no command is running.
   */
  private heldPushes: OutFrame[] | null = null;
  private heldBytes = 0;

  constructor(
    readonly conn: WsConnection,
    readonly ctx: DialectContext,
  ) {
    const limits = ctx.config.limits;
    this.bucket = new TokenBucket(limits.messagesPerSecond, limits.burst);
    this.follows = new Follows(ctx.core.hub, this, ctx.config.really.maxSubscriptions);
    this.deadline = Date.now() + this.config.idleMs;
    ctx.wheel.schedule(this);
    conn.bind({ onFrame: (data) => this.onFrame(data), onClose: () => this.onClose() });
  }

  get core() {
    return this.ctx.core;
  }

  get config() {
    return this.ctx.config.really;
  }

  get connId(): string {
    return this.conn.id;
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
    if (this.heldPushes) {
      this.heldPushes.push(frame);
      this.heldBytes += frame.text.length;
      // A command that outlasts a flood of pushes does not buffer without bound: past
      // what the connection itself would queue, they go out now, in order, reply or not.
      if (this.heldBytes > this.ctx.config.limits.maxQueueBytes) this.releasePushes();
      return;
    }
    this.conn.send(frame);
  }

  private releasePushes(): void {
    const held = this.heldPushes ?? [];
    this.heldPushes = null;
    this.heldBytes = 0;
    for (const frame of held) this.conn.send(frame);
  }

  afterReply(fn: () => void): void {
    this.afterReplies.push(fn);
  }

  /** Idle for `idleMs`: an initialized socket is told `kicked`; before that the server says nothing at all. */
  onDeadline(): void {
    if (this.session) this.send({ evt: "kicked" });
    this.end(1000, "idle");
  }

  end(code: number, reason: string): void {
    this.closing = true;
    this.ctx.wheel.cancel(this);
    this.conn.close(code, reason);
  }

  private send(value: unknown): void {
    this.conn.send(JSON.stringify(value));
  }

  private refuse(error: WireError, tag?: number, r?: string): void {
    this.ctx.metrics.protocolErrors.inc({ dialect: "really", code: String(error.code) });
    this.conn.send(errorFrame(error, tag, r));
  }

  private onFrame(data: Buffer): void {
    if (this.closing || this.deaf) return;
    this.ctx.metrics.framesIn.inc({ dialect: "really" });
    this.deadline = Date.now() + this.config.idleMs;
    if (this.waiting >= this.ctx.config.limits.burst + MAX_WAITING) return this.end(1008, "too many requests waiting");
    // Every frame costs a token, junk included: a flood of junk is still a flood.
    const allowed = this.bucket.take();
    // A frame too large is not read, so its tag is unknown.
    if (data.length > this.ctx.config.limits.maxFrameBytes) return this.inTurn(() => this.refuse(allowed ? TOO_LARGE : RATE_LIMITED));
    let value: unknown;
    try {
      value = JSON.parse(data.toString("utf8"));
    } catch {
      if (!allowed) return this.inTurn(() => this.refuse(RATE_LIMITED));
      this.deaf = true;
      return this.inTurn(() => {
        this.refuse({ code: 400, message: "json.malformed" });
        this.end(1007, "malformed JSON");
      });
    }
    if (!allowed) {
      const tag = tagOf(value);
      return this.inTurn(() => this.refuse(RATE_LIMITED, tag));
    }
    // Nesting past any real document would overflow the recursive validators: refused like any bad request.
    if (tooDeep(value)) {
      const tag = tagOf(value);
      return this.inTurn(() => this.refuse({ code: 400, message: "request.invalid", errors: { "": `JSON nested deeper than ${MAX_JSON_DEPTH} levels` } }, tag));
    }
    const parsed = requestSchema.safeParse(value);
    if (!parsed.success) {
      const tag = tagOf(value);
      const error = { code: 400, message: "request.invalid", errors: issuesToErrors(parsed.error, "") };
      return this.inTurn(() => this.refuse(error, tag));
    }
    const request = parsed.data;
    this.inTurn(
      () => this.answer(request, value),
      (err) => this.failed(err, request),
    );
  }

  private failed(err: unknown, request: Request): void {
    this.ctx.log.error({ err, conn: this.conn.id, cmd: request.cmd }, "really command failed");
    this.refuse({ code: 500, message: "internal.error" }, request.tag, request.r);
  }

  /**
   * Runs `step` once every frame read before it has been answered: replies,
   * refusals included, leave in the order their frames came.
   */
  private inTurn(step: () => Promise<void> | void, onError?: (err: unknown) => void): void {
    this.waiting += 1;
    this.chain = this.chain
      .then(step)
      .catch((err: unknown) => {
        if (onError) return onError(err);
        this.ctx.log.error({ err, conn: this.conn.id }, "really reply failed");
      })
      .finally(() => (this.waiting -= 1));
  }

  private async answer(request: Request, raw: unknown): Promise<void> {
    if (this.closing) return;
    const { tag } = request;
    if (request.cmd === "initialize") return this.initialize(tag, raw);
    if (!this.session) return this.refuse({ code: 400, message: "initialize.required" }, tag);
    if (request.cmd === "ping") return this.send({ tag, evt: "pinged" });
    if (!(COMMANDS as readonly string[]).includes(request.cmd)) return this.refuse({ code: 454, message: "command.unknown" }, tag);
    this.heldPushes = [];
    try {
      const reply = await runCommand(this, request);
      if (!this.closing) this.send({ tag, ...reply });
    } catch (err) {
      if (err instanceof ReallyError) this.refuse(err, tag, request.r);
      else this.failed(err, request);
    } finally {
      // Sent after the reply, on the same connection queue: pushes that came while
      // the command ran, then the live events its subscription held back.
      this.releasePushes();
      for (const fn of this.afterReplies.splice(0)) fn();
    }
  }

  private async initialize(tag: number, raw: unknown): Promise<void> {
    if (this.session) return this.refuse({ code: 400, message: "already.initialized" }, tag);
    const parsed = initializeSchema.safeParse(raw);
    const auth = parsed.success ? await this.core.auth.verify(parsed.data.accessToken).catch(() => null) : null;
    if (!auth) return this.refuse({ code: 401, message: BAD_TOKEN }, tag);
    if (this.closing) return;
    this.session = auth;
    this.unwatch = watchCredential(this.core, this.ctx.wheel, auth, () => {
      this.send({ evt: "token-expired" });
      this.end(1008, "token expired");
    });
    const user = { _r: rOf.user(auth.identity.id), name: auth.identity.name, authType: auth.authType };
    this.send({ tag, evt: "initialized", body: { "connection-handle": this.handle, user } });
  }

  private onClose(): void {
    this.closing = true;
    this.ctx.wheel.cancel(this);
    this.unwatch();
    // After whatever command is running: it may still be attaching a subscription.
    this.chain = this.chain.then(() => this.follows.clear());
  }
}
