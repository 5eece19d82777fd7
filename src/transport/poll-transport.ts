import type { OutFrame } from "../core/types.js";
import { markDirty } from "./flush.js";
import { HttpTransport, LOST, type Ending, type HttpTransportLimits } from "./http-transport.js";
import type { Timed } from "./timer-wheel.js";

/** How long a poll is held open when there is nothing to send. */
export const POLL_WAIT_MS = 25_000;
/** A session nobody polls for this long is lost, as a WebSocket whose TCP connection died. */
export const POLL_GONE_MS = 2 * POLL_WAIT_MS;
/** How long an ended session still answers polls (its last frames, then its close). */
export const POLL_LINGER_MS = POLL_GONE_MS;

/** What one poll is answered with: frames (none when the wait ran out), or the session's close. */
export type PollResult = { frames: string[] } | { ended: Ending };

/** Whoever holds a poll: a local HTTP response, or another node's. */
export interface PollWaiter {
  /** False when the answer could not be given (the client went away): its frames stay for the next poll. */
  answer(result: PollResult): boolean;
}

/**
 * HTTP long-polling: the client keeps one GET waiting; it is answered as soon
 * as there are frames (all that are queued, in one response) or after
 * `POLL_WAIT_MS` with none. Frames wait here between polls, bounded like a
 * socket's backlog. After the session ends, the next poll gets what was still
 * queued and the one after it the close.
 */
export class PollTransport extends HttpTransport implements Timed {
  readonly kind = "poll" as const;
  deadline: number;
  private texts: string[] = [];
  private bytes = 0;
  private waiter: PollWaiter | null = null;
  /** Set once the session's end has been told (or its linger ran out): the registry forgets it. */
  private forgotten = false;

  constructor(
    sid: string,
    remoteAddress: string,
    limits: HttpTransportLimits,
    onEnd: (t: HttpTransport) => void,
    private readonly onForget: (t: PollTransport) => void,
  ) {
    super(sid, remoteAddress, limits, onEnd);
    this.deadline = Date.now() + POLL_GONE_MS;
    limits.wheel.schedule(this);
  }

  get open(): boolean {
    return this.ending === null;
  }

  get backlog(): number {
    return this.bytes;
  }

  write(frame: OutFrame | string): void {
    if (this.ending) return;
    const text = typeof frame === "string" ? frame : frame.text;
    this.texts.push(text);
    this.bytes += text.length;
    if (this.bytes > this.limits.maxQueueBytes) return this.cutOff();
    if (this.waiter) markDirty(this);
  }

  /** End of the turn: a waiting poll takes everything queued. */
  flush(): void {
    if (this.waiter && this.texts.length > 0) this.answer(this.take());
  }

  /**
   * A poll arrived: answered now when there is something to say, else held.
   * A newer poll answers the older one (empty): one poll at a time.
   */
  attach(waiter: PollWaiter): void {
    if (this.waiter) this.answer({ frames: [] });
    this.waiter = waiter;
    if (this.texts.length > 0) return this.answer(this.take());
    if (this.ending) return this.answer({ ended: this.ending });
    this.reschedule(POLL_WAIT_MS);
  }

  /** The poll's client went away before it was answered: its frames stay queued for the next one. */
  detach(waiter: PollWaiter): void {
    if (this.waiter !== waiter) return;
    this.waiter = null;
    if (!this.ending) this.reschedule(POLL_GONE_MS);
  }

  onDeadline(): void {
    if (this.ending) return this.forget();
    // A held poll ran out: answered empty, and the session waits for the next one.
    if (this.waiter) return this.answer({ frames: [] });
    // Nobody polled for too long: the client is gone.
    this.texts = [];
    this.bytes = 0;
    this.finish({ code: LOST, reason: "" }, true);
    this.linger();
  }

  /** A reader too far behind gets no more of its backlog, only the close that says why. */
  protected override cutOff(): void {
    this.texts = [];
    this.bytes = 0;
    super.cutOff();
  }

  close(code: number, reason: string): void {
    if (this.ending) return;
    this.finish({ code, reason }, false);
    this.settle();
  }

  clientClosed(): void {
    if (this.ending) return;
    this.texts = [];
    this.bytes = 0;
    this.finish({ code: 1000, reason: "" }, false);
    this.settle();
  }

  terminate(): void {
    if (this.ending) return;
    this.texts = [];
    this.bytes = 0;
    this.finish({ code: LOST, reason: "" }, true);
    this.settle();
  }

  /** Ended: a waiting poll gets the last frames (or the close) now; the session stays to answer the next poll. */
  private settle(): void {
    if (this.waiter) this.answer(this.texts.length > 0 ? this.take() : { ended: this.ending! });
    this.linger();
  }

  private linger(): void {
    if (!this.forgotten) this.reschedule(POLL_LINGER_MS);
  }

  private take(): PollResult {
    const frames = this.texts;
    this.texts = [];
    this.bytes = 0;
    return { frames };
  }

  private answer(result: PollResult): void {
    const waiter = this.waiter;
    this.waiter = null;
    if (!waiter) return;
    if (!waiter.answer(result)) {
      // Nobody took them: they wait for the next poll, in front of what came since.
      if ("frames" in result && result.frames.length > 0) this.requeue(result.frames);
      if (this.ending === null) this.reschedule(POLL_GONE_MS);
      return;
    }
    if (this.ending === null) {
      // What was queued is in the response now: the turn's frames reached the carrier.
      if ("frames" in result && result.frames.length > 0) this.runAfterFlush();
      this.reschedule(POLL_GONE_MS);
    } else if ("ended" in result) this.forget();
  }

  private requeue(frames: string[]): void {
    this.texts = frames.concat(this.texts);
    for (const text of frames) this.bytes += text.length;
  }

  private reschedule(ms: number): void {
    this.deadline = Date.now() + ms;
    this.limits.wheel.schedule(this);
  }

  private forget(): void {
    if (this.forgotten) return;
    this.forgotten = true;
    this.limits.wheel.cancel(this);
    this.onForget(this);
  }
}
