import type { Socket } from "node:net";
import { WebSocket } from "ws";
import type { OutFrame } from "../core/types.js";
import { markDirty, type Flushable } from "./flush.js";
import { connectionId, type SlowReaderHook, type Transport, type TransportEvents } from "./transport.js";
import { textFrame } from "./ws-frame.js";

/**
 * One WebSocket. Outbound frames are pre-built (shared between recipients),
 * queued, and written together once per event-loop turn. A reader that lets
 * more than `maxQueueBytes` pile up unsent is cut off rather than buffered.
 */
export class WsTransport implements Transport, Flushable {
  readonly id = connectionId();
  readonly kind = "websocket" as const;
  private queue: Buffer[] = [];
  /** Run once the next flush has handed the queue to an open socket; dropped if the socket closes first. */
  private afterFlush: Array<() => void> | null = null;
  private events: TransportEvents | null = null;
  private closed = false;
  private closeCode = 0;

  constructor(
    private readonly ws: WebSocket,
    private readonly socket: Socket,
    readonly remoteAddress: string,
    private readonly maxQueueBytes: number,
    private readonly onSlowReader: SlowReaderHook,
  ) {
    ws.on("message", (data: Buffer, isBinary: boolean) => this.events?.onFrame(data, isBinary));
    ws.on("close", (code: number) => this.finish(code));
    ws.on("error", () => this.terminate());
  }

  bind(events: TransportEvents): void {
    this.events = events;
  }

  get open(): boolean {
    return !this.closed && this.ws.readyState === WebSocket.OPEN;
  }

  get backlog(): number {
    return this.socket.writableLength;
  }

  write(frame: OutFrame | string): void {
    if (!this.open) return;
    const wire = typeof frame === "string" ? textFrame(frame) : (frame.wire ??= textFrame(frame.text));
    // What the kernel has not taken yet is the reader's debt; this turn's own
    // queue is not counted, or a burst would cut off healthy readers too.
    if (this.socket.writableLength > this.maxQueueBytes) return this.cutOff();
    this.queue.push(wire);
    markDirty(this);
  }

  writeMany(frames: ReadonlyArray<OutFrame | string>): void {
    for (const frame of frames) this.write(frame);
  }

  private cutOff(): void {
    this.onSlowReader(this);
    this.terminate();
  }

  onFlushed(fn: () => void): void {
    if (this.closed) return;
    (this.afterFlush ??= []).push(fn);
    markDirty(this);
  }

  flush(): void {
    const batch = this.queue;
    const done = this.afterFlush;
    this.queue = [];
    this.afterFlush = null;
    if (!this.open) return;
    if (batch.length > 0) {
      this.socket.cork();
      for (const wire of batch) this.socket.write(wire);
      this.socket.uncork();
      if (this.socket.writableLength > this.maxQueueBytes) return this.cutOff();
    }
    if (done) for (const fn of done) fn();
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.flush();
    this.closeCode = code;
    this.ws.close(code, reason);
  }

  terminate(): void {
    this.queue = [];
    this.ws.terminate();
  }

  private finish(code: number): void {
    if (this.closed) return;
    this.closed = true;
    this.queue = [];
    this.afterFlush = null;
    // A close we did not start cleanly (no close frame, or 1006) is an abrupt loss.
    const abrupt = this.closeCode === 0 && (code === 1006 || code === 1005);
    this.events?.onClose(code, abrupt);
  }
}
