import type { JsonObject } from "../../core/json.js";
import type { SessionRecord } from "../../core/topics/sessions.js";
import type { Identity } from "../../core/types.js";
import { ClientConnection } from "../../connection/client-connection.js";
import type { Handlers } from "../../connection/protocol.js";
import type { DialectContext, Transport } from "../types.js";
import { TopicPermissions } from "./permissions.js";
import { pubsubProtocol, refusal, type Ref, type Request } from "./protocol.js";
import type { RequestId } from "./render.js";
import { handleRequest } from "./requests.js";
import { Subscriptions, type TopicSub } from "./subscriptions.js";
import type { ExternalVerifiers } from "./verifier.js";

export type { Request } from "./protocol.js";

const NOBODY: Identity = { id: "", name: "", color: "#888888", verified: false, guest: true };

/** One /pubsub client: connect or resume, then sub/unsub/pub; the session it holds outlives it. */
export class PubsubSession implements Handlers<Request> {
  user: Identity = NOBODY;
  sessionId: string | null = null;
  /** Cursors moved since the session was last written. */
  dirty = false;
  permissions: TopicPermissions | null = null;
  readonly subs: Subscriptions;
  readonly conn: ClientConnection<Request, Ref>;
  private phase: "new" | "ready" | "closed" = "new";
  private epoch = 0;
  private credential: SessionRecord["credential"] = null;
  private lastSaved = 0;
  private saving = false;
  private stops: Array<() => void> = [];
  /**
   * Subscriptions with frames queued on the connection but not yet known to
   * be written. The transport drops its queue if it closes before the turn's
   * flush, so a cursor moves only once that flush ran on an open carrier.
   */
  private readonly unconfirmed = new Set<TopicSub>();

  constructor(
    transport: Transport,
    readonly ctx: DialectContext,
    readonly verifiers: ExternalVerifiers,
  ) {
    this.subs = new Subscriptions(this);
    this.conn = new ClientConnection(ctx.clients, transport, pubsubProtocol, this);
  }

  get connId(): string {
    return this.conn.id;
  }

  get ready(): boolean {
    return this.phase === "ready";
  }

  /** The connection is closed or closing: nothing more is begun or saved as live. */
  get gone(): boolean {
    return this.phase === "closed" || this.conn.ending;
  }

  /** Settles once the connection closed and its session recorded its final cursors. */
  get finished(): Promise<void> {
    return this.conn.finished;
  }

  send(text: string): void {
    this.conn.send(text);
  }

  refuse(op: string | null, id: RequestId, code: number, message?: string, extra: JsonObject = {}): void {
    const { text, code: label } = refusal(op, id, code, message, extra);
    this.conn.refuse(text!, label!);
  }

  /** Requests that failed unexpectedly: logged, and answered 500 (nothing was acknowledged). */
  failed(err: unknown, req: Request): void {
    this.ctx.log.error({ err, conn: this.connId, op: req.op }, "pubsub request failed");
    this.refuse(req.op, req.id, 500);
  }

  /** The grace period ran out before a connect or resume. */
  expired(): void {
    if (this.phase === "new") this.end(1008, "connect required");
  }

  end(code: number, reason: string): void {
    this.conn.close(code, reason);
  }

  /** The cursor moves once the connection reports this turn's frames written to the open carrier. */
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
    if (this.gone) return;
    this.phase = "ready";
    this.conn.ready();
    this.conn.actAs(user.id);
    if (credential) this.conn.watch({ identity: user, ...credential, authType: "password" });
    const stop = await this.ctx.core.topics.sessions.watch(id, this.connId, epoch, () => this.end(1000, "session resumed elsewhere"));
    // The socket may have closed while the watch was set up.
    if (this.gone) stop();
    else this.stops.push(stop);
  }

  private record(live: boolean, cursors = this.subs.cursors()): SessionRecord {
    return { user: this.user, credential: this.credential, cursors, live, epoch: this.epoch };
  }

  async save(): Promise<void> {
    if (!this.sessionId || this.phase !== "ready" || this.conn.ending) return;
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

  handle(req: Request): Promise<void> | void {
    if (this.gone) return;
    return handleRequest(this, req);
  }

  /** After the last request ran: members leave, and the session records where it stopped. */
  closed(): Promise<void> {
    this.phase = "closed";
    for (const stop of this.stops.splice(0)) stop();
    return this.cleanup();
  }

  /** Members leave at once; the session stays resumable with the cursors it had. */
  private async cleanup(): Promise<void> {
    const { cursors, left } = this.subs.removeAll();
    if (this.sessionId) await this.ctx.core.topics.sessions.release(this.sessionId, this.record(false, cursors));
    await left;
  }
}
