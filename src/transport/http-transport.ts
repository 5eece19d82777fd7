import type { OutFrame } from "../core/types.js";
import type { Flushable } from "./flush.js";
import { SLOW_READER } from "./slow-reader.js";
import type { TimerWheel } from "./timer-wheel.js";
import { connectionId, type SlowReaderHook, type Transport, type TransportEvents } from "./transport.js";

/** How an HTTP session ended, as its client is told (the WebSocket close code and reason it would have had). */
export interface Ending {
  code: number;
  reason: string;
}

/** How long the HTTP transports wait: `transports.*` of the configuration. */
export interface HttpTimings {
  readonly pollWaitMs: number;
  readonly pollGoneMs: number;
  readonly pollLingerMs: number;
  readonly sseKeepAliveMs: number;
}

/** What every HTTP session of a node shares. */
export interface HttpTransportLimits {
  readonly wheel: TimerWheel;
  /** Outbound bytes a session may have waiting before it is cut off as a slow reader. */
  readonly maxQueueBytes: number;
  readonly onSlowReader: SlowReaderHook;
  /** Read at every use, so live settings apply; absent: each transport's built-in times. */
  readonly timings?: () => HttpTimings;
}

/** `abrupt` closes look like a lost TCP connection to the dialect; the code is the one a WebSocket would report. */
export const LOST = 1006;

/**
 * What the SSE and long-poll transports have in common: an unguessable
 * session id, inbound frames from POSTs, the close that ends the session
 * once (reported to the connection bound to it and to the registry).
 */
export abstract class HttpTransport implements Transport, Flushable {
  readonly id = connectionId();
  abstract readonly kind: "sse" | "poll";
  /** Set once the session ended; the client is told this close. */
  ending: Ending | null = null;
  protected afterFlush: Array<() => void> | null = null;
  private events: TransportEvents | null = null;

  constructor(
    /** The session id the client names in every request: a bearer secret. */
    readonly sid: string,
    readonly remoteAddress: string,
    protected readonly limits: HttpTransportLimits,
    /** Told once when the session ends (the registry's bookkeeping). */
    private readonly onEnd: (t: HttpTransport) => void,
  ) {}

  abstract get open(): boolean;
  abstract get backlog(): number;
  abstract write(frame: OutFrame | string): void;
  abstract flush(): void;
  /** Queued frames go out, then the client learns the close. */
  abstract close(code: number, reason: string): void;
  abstract terminate(): void;

  bind(events: TransportEvents): void {
    this.events = events;
  }

  writeMany(frames: ReadonlyArray<OutFrame | string>): void {
    for (const frame of frames) this.write(frame);
  }

  onFlushed(fn: () => void): void {
    if (this.ending) return;
    (this.afterFlush ??= []).push(fn);
  }

  /** Frames the client POSTed, in the order they were in the body. */
  receive(frames: readonly Buffer[]): void {
    for (const frame of frames) {
      if (this.ending) return;
      this.events?.onFrame(frame, false);
    }
  }

  /** The client said goodbye (DELETE): a clean close, as a WebSocket close frame from the peer would be. */
  abstract clientClosed(): void;

  /** The reader fell too far behind: cut off like a slow WebSocket, and told why. */
  protected cutOff(): void {
    this.limits.onSlowReader(this);
    this.close(SLOW_READER.code, SLOW_READER.reason);
  }

  protected runAfterFlush(): void {
    const done = this.afterFlush;
    this.afterFlush = null;
    if (done) for (const fn of done) fn();
  }

  /** Ends the session once: the connection hears of it, then the registry. */
  protected finish(ending: Ending, abrupt: boolean): void {
    if (this.ending) return;
    this.ending = ending;
    this.afterFlush = null;
    const events = this.events;
    // A poll session lingers after its end: it must not keep its connection (and the dialect's session) reachable.
    this.events = null;
    events?.onClose(ending.code, abrupt);
    this.onEnd(this);
  }
}
