import type { Socket } from "node:net";
import { WebSocket } from "ws";
import type { OutFrame } from "../core/types.js";
import { markDirty, markLazy, type Flushable } from "./flush.js";
import { SLOW_READER, SLOW_READER_CLOSE_MS, WRITE_AHEAD_BYTES } from "./slow-reader.js";
import { connectionId, type SlowReaderHook, type Transport, type TransportEvents } from "./transport.js";
import { textFrame } from "./ws-frame.js";

const TRANSPORT = Symbol("transport");
/** From this many frames in one flush on, they are copied into one buffer before the write… */
const COALESCE_FRAMES = 8;
/** …unless they are more bytes than this: a big burst stays the shared frames' bytes, not a private copy per socket. */
const COALESCE_MAX_BYTES = 64 * 1024;
/** A WebSocket or its socket, carrying the transport its shared listeners call. */
type Carrier = { [TRANSPORT]?: WsTransport };
const transportOf = (emitter: unknown): WsTransport | undefined => (emitter as Carrier)[TRANSPORT];

function onMessage(this: WebSocket, data: Buffer, isBinary: boolean): void {
  transportOf(this)?.onMessage(data, isBinary);
}
function onClose(this: WebSocket, code: number): void {
  transportOf(this)?.finish(code);
}
function onError(this: WebSocket): void {
  transportOf(this)?.terminate();
}
function onDrain(this: Socket): void {
  transportOf(this)?.drained();
}

/**
 * One WebSocket. Outbound frames are pre-built (shared between recipients),
 * queued, and written together once per event-loop turn. While the socket
 * holds more than `WRITE_AHEAD_BYTES` unsent, frames wait in this queue
 * until it drains; a reader whose debt (the socket's unsent bytes and the
 * frames waiting here) passes `maxQueueBytes` is cut off rather than
 * buffered: its queue is dropped and it gets the close `1008 slow reader`,
 * which it has `SLOW_READER_CLOSE_MS` to take before the socket is dropped.
 */
export class WsTransport implements Transport, Flushable {
  readonly id = connectionId();
  readonly kind = "websocket" as const;
  private queue: Buffer[] = [];
  /** Bytes in `queue`. */
  private queued = 0;
  /** The socket was behind at the last flush: everything in `queue` waits for its drain, and is part of the reader's debt. */
  private waitingDrain = false;
  /** Run once the next flush has handed the queue to an open socket; dropped if the socket closes first. */
  private afterFlush: Array<() => void> | null = null;
  private events: TransportEvents | null = null;
  private closed = false;
  private cut = false;
  /** The code this side closed with (0: it did not start the close). */
  private closeCode = 0;
  /** How it ended, once it has: the peer's code, or ours when the peer never answered it. */
  closedWith = 0;

  constructor(
    private readonly ws: WebSocket,
    private readonly socket: Socket,
    readonly remoteAddress: string,
    private readonly maxQueueBytes: number,
    private readonly onSlowReader: SlowReaderHook,
    /** Told once the transport has ended, with the code it ended with (one function for the node, not one per connection). */
    private readonly onEnded?: (transport: WsTransport) => void,
  ) {
    // Shared listeners that find the transport through the emitter: no closures per connection.
    (ws as Carrier)[TRANSPORT] = this;
    (socket as Carrier)[TRANSPORT] = this;
    ws.on("message", onMessage);
    ws.on("close", onClose);
    ws.on("error", onError);
  }

  bind(events: TransportEvents): void {
    this.events = events;
  }

  get open(): boolean {
    return !this.closed && !this.cut && this.ws.readyState === WebSocket.OPEN;
  }

  get backlog(): number {
    return this.socket.writableLength + this.queued;
  }

  write(frame: OutFrame | string): void {
    if (!this.open) return;
    const wire = typeof frame === "string" ? textFrame(frame) : (frame.wire ??= textFrame(frame.text));
    // What the reader has not taken from earlier turns is its debt; this
    // turn's own frames are not counted, or a burst would cut off healthy readers too.
    if (this.debt > this.maxQueueBytes) return this.cutOff();
    this.queue.push(wire);
    this.queued += wire.length;
    if (this.waitingDrain) return;
    if (typeof frame !== "string" && frame.lazy) markLazy(this);
    else markDirty(this);
  }

  writeMany(frames: ReadonlyArray<OutFrame | string>): void {
    for (const frame of frames) this.write(frame);
  }

  onFlushed(fn: () => void): void {
    if (this.closed || this.cut) return;
    (this.afterFlush ??= []).push(fn);
    markDirty(this);
  }

  flush(): void {
    this.handOver(false);
  }

  close(code: number, reason: string): void {
    if (this.closed || this.cut) return;
    // A close says goodbye after everything queued, however far behind the reader is.
    this.handOver(true);
    if (this.cut) return;
    this.closeCode = code;
    this.ws.close(code, reason);
  }

  terminate(): void {
    this.drop();
    this.ws.terminate();
  }

  /** Gives the queue to the socket, unless the socket is behind (and `all` is not asked): then it waits for the drain. */
  private handOver(all: boolean): void {
    if (!this.open) return this.drop();
    if (this.queue.length > 0) {
      if (!all && this.socket.writableLength >= WRITE_AHEAD_BYTES) {
        if (!this.waitingDrain) {
          this.waitingDrain = true;
          this.socket.once("drain", onDrain);
        }
        if (this.debt > this.maxQueueBytes) return this.cutOff();
        // What waits for this turn's frames waits with them.
        return;
      }
      const batch = this.queue;
      const bytes = this.queued;
      this.queued = 0;
      if (batch.length === 1) {
        // The fan-out's common case: one frame this turn, written as it is, and the queue kept for the next turn.
        const wire = batch[0];
        batch.length = 0;
        this.socket.write(wire);
      } else {
        this.queue = [];
        if (batch.length >= COALESCE_FRAMES && bytes <= COALESCE_MAX_BYTES) {
          // Many small frames (a presence window's notices): one copy into one buffer is far cheaper than a writev of as many pieces.
          this.socket.write(Buffer.concat(batch, bytes));
        } else {
          this.socket.cork();
          for (const wire of batch) this.socket.write(wire);
          this.socket.uncork();
        }
      }
      if (this.socket.writableLength > this.maxQueueBytes) return this.cutOff();
    }
    const done = this.afterFlush;
    this.afterFlush = null;
    if (done) for (const fn of done) fn();
  }

  /** The socket took what it held: what waited for it goes now. */
  drained(): void {
    this.waitingDrain = false;
    if (this.queue.length > 0 || this.afterFlush) this.handOver(false);
  }

  onMessage(data: Buffer, isBinary: boolean): void {
    this.events?.onFrame(data, isBinary);
  }

  /**
   * The reader fell too far behind: what waits here is dropped, and the close
   * that says why follows what the socket already holds (at most the
   * write-ahead). A reader that does not take even that in time is dropped.
   */
  private cutOff(): void {
    if (this.cut || this.closed) return;
    this.cut = true;
    this.drop();
    this.onSlowReader(this);
    this.closeCode = SLOW_READER.code;
    this.ws.close(SLOW_READER.code, SLOW_READER.reason);
    setTimeout(() => this.ws.terminate(), SLOW_READER_CLOSE_MS).unref();
  }

  /** Unsent bytes from earlier turns: the socket's, and the queue's while it waits for the socket to drain. */
  private get debt(): number {
    return this.socket.writableLength + (this.waitingDrain ? this.queued : 0);
  }

  private drop(): void {
    this.queue = [];
    this.queued = 0;
    this.afterFlush = null;
  }

  finish(code: number): void {
    if (this.closed) return;
    this.closed = true;
    this.drop();
    // A close we did not start cleanly (no close frame, or 1006) is an abrupt loss.
    const abrupt = this.closeCode === 0 && (code === 1006 || code === 1005);
    this.closedWith = this.closeCode !== 0 && code === 1006 ? this.closeCode : code;
    this.events?.onClose(this.closedWith, abrupt);
    this.onEnded?.(this);
  }
}
