import { markDirty, type Flushable } from "./flush.js";
import type { Timed, TimerWheel } from "./timer-wheel.js";

/** Who takes a mailbox's frames: a held-open response (SSE-like streams, fuse's `/pull`, another node's), or a poll. */
export interface Reader {
  /** A reader that is not open counts as absent: frames wait, and the idle clock runs. */
  readonly open: boolean;
  /**
   * "stream": takes each frame as it is written and stays. "poll": takes
   * everything that waits, at once or at the end of the turn that wrote, in
   * one answer, and leaves.
   */
  readonly mode: "stream" | "poll";
  /** Takes frames, in order. False: they could not be handed over (the client went away) and wait for the next reader. */
  take(frames: string[]): boolean;
  /** A newer reader took its place, or the mailbox closed: a stream ends (after what it holds), a poll is answered empty. */
  end(): void;
}

/** Read at every use, so live settings apply. */
export interface MailboxTimes {
  /** With no reader for this long, the client is taken for gone (`idle`). */
  idleMs(): number;
  /** A reader attached this long is looked at (`due`): a poll's wait, a stream's liveness. */
  readerMs(): number;
  /** Bytes that may wait unread before the client is cut off (`overflow`). */
  maxBytes(): number;
}

export interface MailboxHooks<R extends Reader> {
  /** More than `maxBytes` waits unread: the client is a slow reader. */
  overflow(): void;
  /** No reader for `idleMs`. Nothing more happens unless the hook `touch`es the mailbox again. */
  idle(now: number): void;
  /** The reader has been attached for `readerMs`: true keeps it for another period, false detaches it (the idle clock starts). */
  due(reader: R, now: number): boolean;
}

/**
 * The frames of a client that reads by attaching a reader now and then
 * (long-poll, fuse's pull): frames wait here while no reader is attached,
 * bounded like a socket's backlog, and go to the next one; one reader at a
 * time, a newer one replacing the older; and one deadline on the timer
 * wheel, for a client gone quiet (no reader, no `touch`) or a reader held
 * long enough to look at.
 */
export class Mailbox<R extends Reader = Reader> implements Timed, Flushable {
  deadline: number;
  private held: string[] = [];
  private bytes = 0;
  private current: R | null = null;
  private closed = false;

  constructor(
    private readonly wheel: TimerWheel,
    private readonly times: MailboxTimes,
    private readonly hooks: MailboxHooks<R>,
    /** The wheel's clock. */
    private readonly now: () => number = Date.now,
  ) {
    this.deadline = now() + times.idleMs();
    wheel.schedule(this);
  }

  /** The attached reader, open or not. */
  get reader(): R | null {
    return this.current;
  }

  /** Bytes (UTF-16 units, as a socket's backlog is counted) waiting for a reader. */
  get backlog(): number {
    return this.bytes;
  }

  get size(): number {
    return this.held.length;
  }

  write(text: string): void {
    if (this.closed) return;
    const reader = this.current;
    if (reader?.open && reader.mode === "stream" && this.held.length === 0) {
      reader.take([text]);
      return;
    }
    this.held.push(text);
    this.bytes += text.length;
    if (this.bytes > this.times.maxBytes()) return this.hooks.overflow();
    if (reader?.open) markDirty(this);
  }

  /** End of the turn: an attached reader takes what waits. */
  flush(): void {
    const reader = this.current;
    if (reader?.open && this.held.length > 0) this.deliver(reader);
  }

  /** `reader` takes the place of the current one (which ends) and gets what waits at once. */
  attach(reader: R): void {
    if (this.closed) return void reader.end();
    const old = this.current;
    this.current = reader;
    if (old && old !== reader) old.end();
    if (reader.open && this.held.length > 0) this.deliver(reader);
    if (this.current === reader) this.restart(this.times.readerMs());
  }

  /** The reader went away (its client left): the idle clock starts. False when it was not the current one. */
  detach(reader: R): boolean {
    if (this.current !== reader) return false;
    this.current = null;
    this.restart(this.times.idleMs());
    return true;
  }

  /** Activity that is not reading (a push, the end of a session): the clock starts again. */
  touch(): void {
    if (this.closed) return;
    this.restart(this.current?.open ? this.times.readerMs() : this.times.idleMs());
  }

  /** Drops what waits (the session ended without a goodbye, or was cut off). */
  clear(): void {
    this.held = [];
    this.bytes = 0;
  }

  /** For good: a stream reader gets what waits, then ends; the clock stops. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.wheel.cancel(this);
    const reader = this.current;
    this.current = null;
    if (reader?.open && reader.mode === "stream" && this.held.length > 0) reader.take(this.held);
    this.clear();
    reader?.end();
  }

  onDeadline(now: number): void {
    if (this.closed) return;
    const reader = this.current;
    if (!reader?.open) return this.hooks.idle(now);
    if (this.hooks.due(reader, now)) this.restart(this.times.readerMs());
    else this.detach(reader);
  }

  private deliver(reader: R): void {
    const frames = this.held;
    this.clear();
    const taken = reader.take(frames);
    if (!taken) {
      // In front of whatever came meanwhile.
      this.held = frames.concat(this.held);
      for (const text of frames) this.bytes += text.length;
    }
    if (!taken || reader.mode === "poll") this.detach(reader);
  }

  private restart(ms: number): void {
    if (this.closed) return;
    this.deadline = this.now() + ms;
    this.wheel.schedule(this);
  }
}
