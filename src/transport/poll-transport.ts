import type { OutFrame } from "../core/types.js";
import { HttpTransport, LOST, type Ending, type HttpTransportLimits } from "./http-transport.js";
import { Mailbox, type Reader } from "./mailbox.js";

/** How long a poll is held open when there is nothing to send (`transports.pollWaitMs`). */
export const POLL_WAIT_MS = 25_000;
/** A session nobody polls for this long is lost, as a WebSocket whose TCP connection died (`transports.pollGoneMs`). */
export const POLL_GONE_MS = 2 * POLL_WAIT_MS;
/** How long an ended session still answers polls: its last frames, then its close (`transports.pollLingerMs`). */
export const POLL_LINGER_MS = POLL_GONE_MS;

/** What one poll is answered with: frames (none when the wait ran out), or the session's close. */
export type PollResult = { frames: string[] } | { ended: Ending };

/** Whoever holds a poll: a local HTTP response, or another node's. */
export interface PollWaiter {
  /** False when the answer could not be given (the client went away): its frames stay for the next poll. */
  answer(result: PollResult): boolean;
}

/** A held poll as the session's mailbox sees it: it takes what waits in one answer, then leaves. */
class HeldPoll implements Reader {
  readonly open = true;
  readonly mode = "poll";

  constructor(
    readonly waiter: PollWaiter,
    private readonly carried: () => void,
  ) {}

  take(frames: string[]): boolean {
    if (!this.waiter.answer({ frames })) return false;
    this.carried();
    return true;
  }

  /** Replaced by a newer poll, or its wait ran out: answered empty. */
  end(): void {
    this.waiter.answer({ frames: [] });
  }
}

/**
 * HTTP long-polling: the client keeps one GET waiting; it is answered as soon
 * as there are frames (all that are queued, in one response) or after
 * `pollWaitMs` with none. Frames wait between polls in the session's
 * mailbox, bounded like a socket's backlog; a session not polled for
 * `pollGoneMs` is lost. After the session ends, the next poll gets what was
 * still queued and the one after it the close.
 */
export class PollTransport extends HttpTransport {
  readonly kind = "poll" as const;
  private readonly box: Mailbox<HeldPoll>;
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
    const times = limits.timings;
    this.box = new Mailbox<HeldPoll>(
      limits.wheel,
      {
        // Once ended, the session's quiet time is its linger.
        idleMs: () => (this.ending ? (times?.().pollLingerMs ?? POLL_LINGER_MS) : (times?.().pollGoneMs ?? POLL_GONE_MS)),
        readerMs: () => times?.().pollWaitMs ?? POLL_WAIT_MS,
        maxBytes: () => limits.maxQueueBytes,
      },
      {
        overflow: () => this.cutOff(),
        idle: () => this.idle(),
        // A held poll ran out: answered empty, and the session waits for the next one.
        due: (poll) => {
          poll.end();
          return false;
        },
      },
    );
  }

  get open(): boolean {
    return this.ending === null;
  }

  get backlog(): number {
    return this.box.backlog;
  }

  write(frame: OutFrame | string): void {
    if (this.ending) return;
    this.box.write(typeof frame === "string" ? frame : frame.text);
  }

  /** End of the turn: a waiting poll takes everything queued. */
  flush(): void {
    this.box.flush();
  }

  /**
   * A poll arrived: answered now when there is something to say, else held.
   * A newer poll answers the older one (empty): one poll at a time.
   */
  attach(waiter: PollWaiter): void {
    if (this.ending && this.box.size === 0) return this.tellEnd(waiter);
    this.box.attach(new HeldPoll(waiter, this.carried));
  }

  /** The poll's client went away before it was answered: its frames stay queued for the next one. */
  detach(waiter: PollWaiter): void {
    const poll = this.box.reader;
    if (poll?.waiter === waiter) this.box.detach(poll);
  }

  /** A reader too far behind gets no more of its backlog, only the close that says why. */
  protected override cutOff(): void {
    this.box.clear();
    super.cutOff();
  }

  close(code: number, reason: string): void {
    if (this.ending) return;
    this.finish({ code, reason }, false);
    this.settle();
  }

  clientClosed(): void {
    if (this.ending) return;
    this.box.clear();
    this.finish({ code: 1000, reason: "" }, false);
    this.settle();
  }

  terminate(): void {
    if (this.ending) return;
    this.box.clear();
    this.finish({ code: LOST, reason: "" }, true);
    this.settle();
  }

  /** What was queued is in a poll's answer now: the turn's frames reached the carrier. */
  private readonly carried = (): void => {
    if (this.ending === null) this.runAfterFlush();
  };

  /** Nobody polled for too long (the client is gone), or an ended session's linger ran out. */
  private idle(): void {
    if (this.ending) return this.forget();
    this.box.clear();
    this.finish({ code: LOST, reason: "" }, true);
    this.box.touch();
  }

  /** Ended: a waiting poll gets the last frames (or the close) now; the session stays, lingering, to answer the next poll. */
  private settle(): void {
    const poll = this.box.reader;
    if (poll && this.box.size > 0) this.box.flush();
    else if (poll) {
      this.box.detach(poll);
      this.tellEnd(poll.waiter);
    }
    this.box.touch();
  }

  private tellEnd(waiter: PollWaiter): void {
    if (waiter.answer({ ended: this.ending! })) this.forget();
  }

  private forget(): void {
    if (this.forgotten) return;
    this.forgotten = true;
    this.box.close();
    this.onForget(this);
  }
}
