import type { ServerResponse } from "node:http";
import { randomId } from "../../core/identity.js";
import type { Timed } from "../../transport/timer-wheel.js";
import type { Fuse } from "./context.js";
import type { FleetWire } from "./fleet.js";
import type { Home } from "./link-records.js";
import type { HttpLinks } from "./links.js";
import type { PullStream } from "./pull-stream.js";

/** The pulling node tells the home it still holds the pull this often, or four times per `sessionIdleMs` when that is more often. */
const KEEP_MS = 10_000;

/** How often a relay says it still holds its pull; the home drops a pull not heard of for a whole `sessionIdleMs`. */
export const keepMs = (sessionIdleMs: number) => Math.max(100, Math.min(KEEP_MS, sessionIdleMs / 4));

/**
 * A `/pull` answered on this node for a session that lives on another (the
 * balancer is not sticky). It asks the home to attach it, then streams the
 * lines the home sends this node for it (`lines`/`end` messages with its id).
 * It tells the home when its client goes away, and keeps telling it that the
 * pull is still held, so a home whose puller died does not wait for ever; a
 * home that stops answering ends the stream.
 */
export class PullRelay implements Timed {
  readonly id = `fuse-relay-${randomId(12)}`;
  deadline = 0;
  private stream: PullStream | null = null;
  /** Lines that came before the home's answer (and so before the stream's first `noop`). */
  private early: string[] = [];
  private endedEarly = false;
  /** The home attached this pull, so it must hear when the client goes away. */
  private attached = false;
  /** The home ended the pull itself (replaced, session over): nothing to tell it. */
  private homeEnded = false;
  private done = false;

  constructor(
    private readonly f: Fuse,
    private readonly wire: FleetWire,
    private readonly links: HttpLinks,
    private readonly home: Home,
    private readonly res: ServerResponse,
    private readonly relays: Map<string, PullRelay>,
  ) {
    relays.set(this.id, this);
  }

  /** Asks the home to attach this pull: then `open` starts the response, otherwise `refuse` answers it. */
  async start(name: string, open: () => PullStream, refuse: () => void): Promise<void> {
    this.res.once("close", () => this.finish());
    const answer = await this.wire.ask(this.home.node, "pull", { sid: this.home.sid, name, pull: this.id });
    if (answer?.ok !== true) {
      // In case the home is only slow: it must not keep a pull nobody reads.
      if (answer === null) this.wire.tell(this.home.node, "unpull", { sid: this.home.sid, pull: this.id });
      // No answer (the home is gone) or no such session there: the record is stale.
      if (answer === null || answer.unknown === true) await this.links.records.forget(this.home);
      const waiting = !this.done;
      this.finish();
      if (waiting) refuse();
      return;
    }
    this.attached = true;
    if (this.done) return this.tellGone();
    const stream = (this.stream = open());
    for (const line of this.early) stream.write(line);
    this.early = [];
    if (this.endedEarly) return stream.end();
    this.deadline = Date.now() + keepMs(this.f.ctx.config.fuse.sessionIdleMs);
    this.f.ctx.wheel.schedule(this);
  }

  /** Lines from the home, in its order; `end`: the home ended this pull. */
  take(lines: string[], end: boolean): void {
    if (this.done) return;
    if (end) this.homeEnded = true;
    if (!this.stream) {
      this.early.push(...lines);
      if (end) this.endedEarly = true;
      return;
    }
    for (const line of lines) this.stream.write(line);
    if (end) this.stream.end();
  }

  /** Keep-alive: a home that no longer has this pull, or does not answer, ends the stream (the client pulls again and finds out why). */
  onDeadline(): void {
    if (this.done) return;
    void this.wire.ask(this.home.node, "keep", { sid: this.home.sid, pull: this.id }).then((answer) => {
      if (this.done) return;
      if (answer?.ok === true) {
        this.deadline = Date.now() + keepMs(this.f.ctx.config.fuse.sessionIdleMs);
        this.f.ctx.wheel.schedule(this);
        return;
      }
      this.homeEnded = true;
      this.stream?.end();
    });
  }

  /** Shutting down: the stream ends, and the home hears of it. */
  end(): void {
    this.stream?.end();
  }

  /** The response is over, whoever ended it. */
  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.relays.delete(this.id);
    this.f.ctx.wheel.cancel(this);
    if (this.attached) this.tellGone();
  }

  private tellGone(): void {
    if (!this.homeEnded) this.wire.tell(this.home.node, "unpull", { sid: this.home.sid, pull: this.id });
  }
}
