import type { Socket } from "node:net";
import { WebSocket } from "ws";
import type { OutFrame } from "../core/types.js";
import { markDirty, markLazy, type Flushable } from "./flush.js";
import { SLOW_READER, SLOW_READER_CLOSE_MS, WRITE_AHEAD_BYTES } from "./slow-reader.js";
import { connectionId, type SlowReaderHook, type Transport, type TransportEvents } from "./transport.js";
import { textFrame } from "./ws-frame.js";

/** From this many frames in one flush on, they are copied into one buffer before the write… */
const COALESCE_FRAMES = 8;
/** …unless they are more bytes than this: a big burst stays the shared frames' bytes, not a private copy per socket. */
const COALESCE_MAX_BYTES = 64 * 1024;

/**
 * The WebSocket class the server makes (`new WebSocketServer({ WebSocket:
 * TransportSocket })`). Its transport is a declared field, so it sits inside
 * the object from the start: a property added after construction would cost
 * every socket a property array of its own. ws tells a socket's events by
 * calling its `emit`; the three a transport needs go straight to it, so no
 * listener (and no listener table entry) is kept per socket.
 */
export class TransportSocket extends WebSocket {
  transport: WsTransport | null = null;

  /** Called once, by the transport this socket carries. */
  carry(transport: WsTransport): void {
    this.transport = transport;
    // Nothing listens (events go through `emit` below): no listener table either, until something
    // does listen (EventEmitter makes one then, as it does for an emitter that never had one).
    if (this.eventNames().length === 0) (this as unknown as { _events: unknown })._events = undefined;
  }

  // Server sockets are told of at most two arguments; ws has no other caller of emit.
  override emit(event: string | symbol, a?: unknown, b?: unknown): boolean {
    const transport = this.transport;
    switch (event) {
      case "message":
        transport?.onMessage(a as Buffer, b as boolean);
        return true;
      case "close":
        transport?.finish(a as number);
        return true;
      case "error":
        // Handled here, never thrown: ws destroys the socket itself; the transport lets go of its queue.
        transport?.terminate();
        return true;
      default:
        return arguments.length === 1 ? super.emit(event) : super.emit(event, a, b);
    }
  }
}

/** What every WebSocket transport of one server shares (one object for the node, not fields per connection). */
export interface WsSettings {
  readonly maxQueueBytes: number;
  readonly onSlowReader: SlowReaderHook;
  /** Told once the transport has ended, with the code it ended with. */
  readonly onEnded?: (transport: WsTransport) => void;
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
  /** The first frame waiting to be written: the fan-out writes one per turn, and that takes no array. */
  private first: Buffer | null = null;
  /** The frames after `first`, in order; made by a second frame, let go at the flush. */
  private rest: Buffer[] | null = null;
  /** Bytes in `first` and `rest`. */
  private queued = 0;
  /** The socket was behind at the last flush: everything queued waits for its drain, and is part of the reader's debt. */
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
    private readonly ws: TransportSocket,
    private readonly socket: Socket,
    readonly remoteAddress: string,
    private readonly settings: WsSettings,
  ) {
    ws.carry(this);
  }

  get kind(): "websocket" {
    return "websocket";
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
    if (this.debt > this.settings.maxQueueBytes) return this.cutOff();
    if (this.first === null) this.first = wire;
    else (this.rest ??= []).push(wire);
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
    const first = this.first;
    if (first !== null) {
      const socket = this.socket;
      if (!all && socket.writableLength >= WRITE_AHEAD_BYTES) {
        if (!this.waitingDrain) {
          this.waitingDrain = true;
          // Rare (a reader behind by the write-ahead): a listener only then, not one per socket.
          socket.once("drain", () => this.drained());
        }
        if (this.debt > this.settings.maxQueueBytes) return this.cutOff();
        // What waits for this turn's frames waits with them.
        return;
      }
      const rest = this.rest;
      const bytes = this.queued;
      this.first = null;
      this.rest = null;
      this.queued = 0;
      if (rest === null) {
        // The fan-out's common case: one frame this turn, written as it is.
        socket.write(first);
      } else if (rest.length + 1 >= COALESCE_FRAMES && bytes <= COALESCE_MAX_BYTES) {
        // Many small frames (a presence window's notices): one copy into one buffer is far cheaper than a writev of as many pieces.
        const joined = Buffer.allocUnsafe(bytes);
        let at = first.copy(joined, 0);
        for (const wire of rest) at += wire.copy(joined, at);
        socket.write(joined);
      } else {
        socket.cork();
        socket.write(first);
        for (const wire of rest) socket.write(wire);
        socket.uncork();
      }
      if (socket.writableLength > this.settings.maxQueueBytes) return this.cutOff();
    }
    const done = this.afterFlush;
    this.afterFlush = null;
    if (done) for (const fn of done) fn();
  }

  /** The socket took what it held: what waited for it goes now. */
  drained(): void {
    this.waitingDrain = false;
    if (this.first !== null || this.afterFlush) this.handOver(false);
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
    this.settings.onSlowReader(this);
    this.closeCode = SLOW_READER.code;
    this.ws.close(SLOW_READER.code, SLOW_READER.reason);
    setTimeout(() => this.ws.terminate(), SLOW_READER_CLOSE_MS).unref();
  }

  /** Unsent bytes from earlier turns: the socket's, and the queue's while it waits for the socket to drain. */
  private get debt(): number {
    return this.socket.writableLength + (this.waitingDrain ? this.queued : 0);
  }

  private drop(): void {
    this.first = null;
    this.rest = null;
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
    this.settings.onEnded?.(this);
  }
}
