import type { AuthSession } from "../core/auth.js";
import { rateClock, spent, TOKEN, type Rate } from "../core/rate-limit.js";
import type { OutFrame } from "../core/types.js";
import type { Timed } from "../transport/timer-wheel.js";
import type { Transport, TransportEvents } from "../transport/transport.js";
import type { AllowanceHolder, Clients, Drainable, UserAllowance } from "./clients.js";
import type { DialectTally } from "../observability/metrics.js";
import { watchCredential, type CredentialEnd } from "./credentials.js";
import { FloodGuard } from "../transport/flood-guard.js";
import { Heartbeat } from "./heartbeat.js";
import { tooDeep } from "./json-depth.js";
import type { Answer, Handlers, Protocol, Read, Refusal } from "./protocol.js";

/**
 * Frames read and still waiting for their turn, beyond the burst the rate
 * limit admits: refusals queue behind earlier requests (replies go out in
 * arrival order), so a client flooding while a slow request runs would
 * otherwise pile them up without bound.
 */
export const MAX_WAITING = 1000;

/** Larger frames are never taken for an answer to a ping (relay's pong is some 40 bytes). */
const IMMEDIATE_MAX_BYTES = 256;

/** Something that wants to know when a pushed frame was handed to the transport (pubsub's resume cursors). */
export interface PushTarget {
  wrote(frame: OutFrame | string): void;
}

/** Pushes waiting for the reply of the request that is running. */
interface Held {
  frames: Array<OutFrame | string>;
  targets: Array<PushTarget | undefined>;
  bytes: number;
}

/** What the checks made of a frame: a refusal, or the dialect's reading. */
interface Inspected<Req, Ref> {
  refusal: Refusal<Ref> | null;
  read: Read<Req> | null;
}

const SETTLED: Promise<void> = Promise.resolve();
const NOT_JSON = Symbol("not JSON");

function parse(data: Buffer): unknown {
  try {
    return JSON.parse(data.toString("utf8"));
  } catch {
    return NOT_JSON;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * One client, whatever dialect it speaks and whatever carries it. The
 * connection owns what every dialect needs the same way: requests handled one
 * at a time in arrival order (refusals included) with a bound on what may
 * wait, the per-connection and per-user rate limits (checked before a frame
 * is even parsed, with floods refused in silence and then cut off), size,
 * syntax and nesting checks before the dialect reads a frame, the grace and idle periods on the
 * timer wheel, credential expiry and revocation, the pushes a request causes
 * held until its reply has gone, metrics, and the drain on shutdown. The
 * dialect supplies how frames are read and refusals said (`Protocol`) and its
 * handlers (`Handlers`).
 */
export class ClientConnection<Req = unknown, Ref = never> implements TransportEvents, Timed, Drainable, AllowanceHolder {
  /** The transport's id: this connection in logs, presence and hub subscriptions. */
  readonly id: string;
  deadline = 0;
  /** The work of every frame read so far, one after another. */
  private chain: Promise<void> = SETTLED;
  private waiting = 0;
  private closing = false;
  /** After a frame that ends the connection: later frames are not read. */
  private deaf = false;
  /** The idle period runs (after `ready`, or from the start for protocols without a grace period). */
  private idling = false;
  private firstTaken = false;
  /** The connection's own rate limit: its limits (shared by the node's connections) and its bucket (see `Rate`). */
  private readonly rate: Rate;
  private tokens: number;
  private stamp: number;
  private readonly counts: DialectTally;
  /** Made at the first refusal by the rate limit. */
  private flood: FloodGuard | null = null;
  /**
   * The user it acts as: it draws on that user's allowance, and watches the
   * user's "disconnect everywhere" (this object is the watcher).
   */
  private user: string | null = null;
  /** The user's allowance, kept here while this is the user's only connection on the node (`Clients.join`). */
  userRate: Rate | null = null;
  userTokens = 0;
  userStamp = 0;
  /** …or shared with the user's other connections here. */
  sharedAllowance: UserAllowance | null = null;
  private held: Held | null = null;
  private afterReplies: Array<() => void> | null = null;
  /** Every credential this connection has used, by revocation id: any of them ending ends it. */
  private watches: Map<string, () => void> | null = null;
  private heartbeat: Heartbeat | null = null;
  private done = false;
  private settle: (() => void) | null = null;
  private finishedPromise: Promise<void> | null = null;

  constructor(
    readonly clients: Clients,
    readonly transport: Transport,
    private readonly protocol: Protocol<Req, Ref>,
    private readonly handlers: Handlers<Req>,
  ) {
    this.id = transport.id;
    this.counts = clients.metrics.tally(protocol.name);
    this.rate = clients.connectionRate();
    this.tokens = this.rate.full;
    this.stamp = rateClock();
    transport.bind(this);
    clients.add(this);
    const grace = protocol.graceMs?.(clients.config);
    if (grace !== undefined) this.schedule(grace);
    else this.startIdle();
  }


  get remoteAddress(): string {
    return this.transport.remoteAddress;
  }

  get open(): boolean {
    return !this.closing && this.transport.open;
  }

  /** Closed or closing: queued work is skipped, nothing more is read. */
  get ending(): boolean {
    return this.closing;
  }

  /** Settles once the connection closed and the dialect's cleanup ran. */
  get finished(): Promise<void> {
    if (this.done) return SETTLED;
    return (this.finishedPromise ??= new Promise<void>((resolve) => (this.settle = resolve)));
  }

  // ---- what the dialect tells the connection ----

  /** The init succeeded: the grace period ends, the idle period (if the protocol has one) starts. */
  ready(): void {
    if (this.idling || this.closing) return;
    this.clients.wheel.cancel(this);
    this.startIdle();
  }

  /** Who is connected: the connection draws on that user's allowance from now on. */
  actAs(userId: string): void {
    if (this.user === userId || this.closing) return;
    const clients = this.clients;
    // An operator's "disconnect this user everywhere" reaches every connection acting as it, credential or not.
    const disconnects = clients.core.revocations.disconnects;
    if (this.user !== null) {
      clients.leave(this.user, this);
      disconnects.unwatch(this.user, this);
    }
    clients.join(userId, this);
    disconnects.watch(userId, this);
    this.user = userId;
  }

  /** The operator's "disconnect this user everywhere" reached this node. */
  disconnected(): void {
    this.credentialEnded("revoked");
  }

  /** Ends the connection when this credential is revoked (on any node) or expires; every credential used stays watched. */
  watch(auth: AuthSession): void {
    if (this.closing) return;
    const watches = (this.watches ??= new Map());
    if (watches.has(auth.revocationId)) return;
    const { core, wheel } = this.clients;
    watches.set(auth.revocationId, watchCredential(core, wheel, auth, (why) => this.credentialEnded(why)));
  }

  /** Server pings (relay): `ping` sends one and returns what its pong must carry; a missed pong closes with `lost`. */
  startHeartbeat(intervalMs: number, timeoutMs: number, ping: (now: number) => number, lost: { code: number; reason: string }): void {
    this.heartbeat = new Heartbeat(this.clients.wheel, intervalMs, timeoutMs, {
      ping,
      lost: () => this.close(lost.code, lost.reason),
      kill: () => this.transport.terminate(),
    });
  }

  /** False when `value` answers no ping in flight. */
  pong(value: number): boolean {
    return this.heartbeat?.pong(value) ?? false;
  }

  /** Runs `step` after everything queued before it (a kick, work the dialect starts on its own). Skipped once closing. */
  enqueue(step: () => Promise<void> | void): void {
    this.waiting += 1;
    const next: Promise<void> = this.chain
      .then(() => (this.closing ? undefined : step()))
      .catch((err: unknown) => this.clients.log.error({ err, conn: this.id, dialect: this.protocol.name }, "connection step failed"))
      .then(() => {
        // Idle again: the settled chain is let go (an idle socket keeps no promise of its own).
        if (--this.waiting === 0 && this.chain === next) this.chain = SETTLED;
      });
    this.chain = next;
  }

  /** A reply (or any frame the server says now): written at once, never held. */
  send(frame: OutFrame | string): void {
    this.counts.messagesOut++;
    this.transport.write(frame);
  }

  /** A refusal from a handler: counted on the protocol-error metric, then sent. */
  refuse(text: string, code: string): void {
    this.clients.metrics.protocolErrors.inc({ dialect: this.protocol.name, code });
    this.counts.messagesOut++;
    this.transport.write(text);
  }

  /**
   * From now until the running request has been answered, pushes wait: the
   * sender hears its reply before the pushes its own request caused.
   */
  hold(): void {
    this.held ??= { frames: [], targets: [], bytes: 0 };
  }

  /** A push (a fan-out frame, a broadcast line): sent now, or after the reply being prepared. */
  push(frame: OutFrame | string, target?: PushTarget): void {
    const held = this.held;
    if (held === null) {
      // The fan-out path: one call, the transport drops what a closed carrier cannot take.
      if (target === undefined) return this.transport.write(frame);
      if (!this.transport.open) return void this.clients.metrics.queueDrops.inc({ dialect: this.protocol.name });
      this.transport.write(frame);
      target.wrote(frame);
      return;
    }
    held.frames.push(frame);
    held.targets.push(target);
    held.bytes += typeof frame === "string" ? frame.length : frame.text.length;
    // A request that outlasts a flood of pushes does not buffer without bound: past what the
    // transport itself would queue, they go out now, in order, reply or not.
    if (held.bytes > this.clients.config.limits.maxQueueBytes) this.release();
  }

  /** Runs once the reply has been sent (and the pushes held meanwhile): live events released here cannot overtake it. */
  afterReply(fn: () => void): void {
    (this.afterReplies ??= []).push(fn);
  }

  onFlushed(fn: () => void): void {
    this.transport.onFlushed(fn);
  }

  /** Writes what is queued, then closes; queued requests are skipped from now on. */
  close(code: number, reason: string): void {
    this.closing = true;
    this.clients.wheel.cancel(this);
    this.transport.close(code, reason);
  }

  terminate(): void {
    this.transport.terminate();
  }

  // ---- what the transport tells the connection ----

  onFrame(data: Buffer, isBinary: boolean): void {
    if (this.closing || this.deaf) return;
    const { config } = this.clients;
    const protocol = this.protocol;
    this.counts.framesIn++;
    if (this.waiting >= config.limits.burst + MAX_WAITING) return this.say(protocol.refuse({ kind: "overloaded" }));
    if (this.idling) this.deadline = Date.now() + protocol.idleMs!(config);
    const handlers = this.handlers;
    if (handlers.first && !this.firstTaken) {
      // Whatever the first frame is — oversize and malformed included — it is the init, or it is refused as one.
      this.firstTaken = true;
      const value = data.length > protocol.maxFrameBytes(config) ? null : parse(data);
      const init = isObject(value) && !tooDeep(value) ? value : null;
      return this.enqueue(() => handlers.first!(init));
    }
    // An answer to a ping in flight (relay's pong) is neither queued nor counted: it is looked at first, when one can be due.
    let inspected: Inspected<Req, Ref> | null = null;
    if (handlers.immediate && this.mayBeImmediate(data, isBinary)) {
      inspected = this.inspect(data, isBinary);
      if (inspected.read?.ok && handlers.immediate(inspected.read.request)) return;
    }
    // The rate before anything else: a frame over the allowance is not parsed, and after the first few not even answered.
    if (!this.take()) return this.limited(data);
    const { refusal, read } = inspected ?? this.inspect(data, isBinary);
    if (refusal) return this.answer(protocol.refuse(refusal));
    if (!read!.ok) return this.answer(read!.answer);
    const request = read!.request;
    this.counts.messagesIn++;
    this.enqueue(() => this.run(request));
  }

  onClose(): void {
    this.closing = true;
    this.clients.wheel.cancel(this);
    if (this.watches) for (const stop of this.watches.values()) stop();
    this.watches = null;
    if (this.user !== null) {
      this.clients.core.revocations.disconnects.unwatch(this.user, this);
      this.clients.leave(this.user, this);
      this.user = null;
    }
    this.heartbeat?.stop();
    this.held = null;
    // After the request in progress: it may still be joining a room or attaching a subscription.
    this.chain = this.chain
      .then(() => this.handlers.closed())
      .catch((err: unknown) => this.clients.log.error({ err, conn: this.id, dialect: this.protocol.name }, "connection cleanup failed"))
      .then(() => this.finish());
  }

  onDeadline(): void {
    if (this.closing) return;
    if (this.handlers.expired) this.handlers.expired();
    else this.close(1000, "timeout");
  }

  // ---- inside ----

  /** The checks every frame goes through before the dialect reads it (after its token was taken, or to find an immediate one). */
  private inspect(data: Buffer, isBinary: boolean): Inspected<Req, Ref> {
    const protocol = this.protocol;
    const tooLarge = data.length > protocol.maxFrameBytes(this.clients.config);
    if (protocol.format === "text") {
      if (isBinary) return { refusal: { kind: "binary" }, read: null };
      if (tooLarge) return { refusal: { kind: "too-large" }, read: null };
      return { refusal: null, read: protocol.read(data.toString("utf8")) };
    }
    if (tooLarge) return { refusal: { kind: "too-large" }, read: null };
    const value = parse(data);
    if (value === NOT_JSON) return { refusal: { kind: "not-json" }, read: null };
    if (!isObject(value)) return { refusal: { kind: "not-object", value }, read: null };
    if (tooDeep(value)) return { refusal: { kind: "too-deep", ref: this.refOf(value) }, read: null };
    return { refusal: null, read: protocol.read(value) };
  }

  private refOf(value: Record<string, unknown>): Ref | null {
    return this.protocol.refOf ? this.protocol.refOf(value) : null;
  }

  /** Small enough, and a ping waiting for its answer (or no heartbeat to ask: the dialect decides alone). */
  private mayBeImmediate(data: Buffer, isBinary: boolean): boolean {
    return !isBinary && data.length <= IMMEDIATE_MAX_BYTES && (this.heartbeat === null || this.heartbeat.awaiting);
  }

  /**
   * A frame the rate limit refused. The first few of a flood are answered
   * (quoting the frame's reference, which takes a parse); the rest are
   * dropped unread; a flood that outlasts `limits.floodGraceMs` ends the
   * connection with the dialect's words for too many frames.
   */
  private limited(data: Buffer): void {
    this.clients.metrics.rateLimited.inc({ dialect: this.protocol.name });
    const verdict = (this.flood ??= new FloodGuard()).refused(Date.now(), this.clients.config.limits.floodGraceMs);
    if (verdict === "drop") return;
    if (verdict === "cut") return this.flooded();
    const protocol = this.protocol;
    const value = protocol.format === "json" && data.length <= protocol.maxFrameBytes(this.clients.config) ? parse(data) : NOT_JSON;
    const ref = isObject(value) && !tooDeep(value) ? this.refOf(value) : null;
    this.answer(protocol.refuse({ kind: "rate-limited", ref }));
  }

  /**
   * Ends a flooding connection now, ahead of anything queued: its rate-limit
   * error, then the close code the dialect uses for a client that would not
   * stop (its overload close), with the reason "flooding".
   */
  private flooded(): void {
    const protocol = this.protocol;
    const said = protocol.refuse({ kind: "rate-limited", ref: null });
    const overloaded = protocol.refuse({ kind: "overloaded" });
    this.clients.metrics.protocolErrors.inc({ dialect: protocol.name, code: "flooding" });
    this.clients.log.warn({ conn: this.id, dialect: protocol.name, remote: this.remoteAddress }, "flooding connection closed");
    this.deaf = true;
    if (said.text !== undefined) this.transport.write(said.text);
    this.close(overloaded.close?.code ?? 1008, "flooding");
  }

  /** A token from the connection's bucket, then from its user's (the first is spent even when the second refuses). */
  private take(): boolean {
    const now = rateClock();
    const tokens = this.rate.refilled(this.tokens, this.stamp, now);
    this.tokens = spent(tokens);
    this.stamp = now;
    if (tokens < TOKEN) return false;
    return this.user === null || this.clients.takeForUser(this, now);
  }

  /** A refusal waits its turn like any reply: a connection's answers keep its frames' order. */
  private answer(answer: Answer): void {
    // Deafness starts now: the frames after this one are never read.
    if (answer.deaf) this.deaf = true;
    this.enqueue(() => this.say(answer));
  }

  private say(answer: Answer): void {
    if (answer.code !== undefined) this.clients.metrics.protocolErrors.inc({ dialect: this.protocol.name, code: answer.code });
    if (answer.text !== undefined) this.transport.write(answer.text);
    if (answer.close) this.close(answer.close.code, answer.close.reason);
  }

  private async run(request: Req): Promise<void> {
    try {
      await this.handlers.handle(request);
    } catch (err) {
      this.handlers.failed(err, request);
    } finally {
      // After the reply, on the same transport queue: pushes that came while the request ran, then what waited for the reply.
      this.release();
      const after = this.afterReplies;
      this.afterReplies = null;
      if (after) for (const fn of after) fn();
    }
  }

  private release(): void {
    const held = this.held;
    this.held = null;
    if (!held || !this.transport.open) return;
    // One batch when nobody needs to hear of each frame; otherwise each is written and told in turn.
    if (held.targets.every((t) => t === undefined)) return this.transport.writeMany(held.frames);
    for (let i = 0; i < held.frames.length; i++) this.push(held.frames[i], held.targets[i]);
  }

  private credentialEnded(why: CredentialEnd): void {
    this.say(this.protocol.credentialEnded?.(why) ?? { close: { code: 1008, reason: `credential ${why}` } });
  }

  private startIdle(): void {
    const idle = this.protocol.idleMs?.(this.clients.config);
    if (idle === undefined) return;
    this.idling = true;
    this.schedule(idle);
  }

  private schedule(ms: number): void {
    this.deadline = Date.now() + ms;
    this.clients.wheel.schedule(this);
  }

  private finish(): void {
    this.done = true;
    this.clients.remove(this);
    this.settle?.();
  }
}
