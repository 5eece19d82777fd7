import type { Socket } from "node:net";
import { WebSocket } from "ws";
import { OutFrame } from "../core/types.js";
import { markDirty, type Flushable } from "./flush.js";
import { textFrame } from "./ws-frame.js";

export interface ConnectionEvents {
  onFrame(data: Buffer, isBinary: boolean): void;
  onClose(code: number, abrupt: boolean): void;
}

let nextId = 1;

/**
 * One WebSocket. Outbound frames are pre-built (shared between recipients),
 * queued, and written together once per event-loop turn. A reader that lets
 * more than `maxQueueBytes` pile up unsent is cut off rather than buffered.
 */
export class WsConnection implements Flushable {
  readonly id = `c${(nextId++).toString(36)}`;
  private queue: Buffer[] = [];
  /** Run once the next flush has handed the queue to an open socket; dropped if the socket closes first. */
  private afterFlush: Array<() => void> = [];
  private handlers: ConnectionEvents | null = null;
  private closed = false;
  closeCode = 0;

  constructor(
    private readonly ws: WebSocket,
    private readonly socket: Socket,
    readonly remoteAddress: string,
    private readonly maxQueueBytes: number,
    private readonly onSlowReader: (conn: WsConnection) => void,
  ) {
    ws.on("message", (data: Buffer, isBinary: boolean) => this.handlers?.onFrame(data, isBinary));
    ws.on("close", (code: number) => this.finish(code));
    ws.on("error", () => this.terminate());
  }

  /** Called by the dialect in the same turn the connection is accepted, before any frame can arrive. */
  bind(handlers: ConnectionEvents): void {
    this.handlers = handlers;
  }

  get open(): boolean {
    return !this.closed && this.ws.readyState === WebSocket.OPEN;
  }

  send(frame: OutFrame | string): void {
    if (!this.open) return;
    let wire: Buffer;
    if (typeof frame === "string") wire = textFrame(frame);
    else wire = frame.wire ??= textFrame(frame.text);
    // What the kernel has not taken yet is the reader's debt; this turn's own
    // queue is not counted, or a burst would cut off healthy readers too.
    if (this.socket.writableLength > this.maxQueueBytes) return this.cutOff();
    this.queue.push(wire);
    markDirty(this);
  }

  private cutOff(): void {
    this.onSlowReader(this);
    this.terminate();
  }

  /**
   * Calls `fn` after this turn's frames were written to the open socket, for
   * callers that must know what reached the wire (resume cursors). Never
   * called if the connection closes before that flush.
   */
  onFlushed(fn: () => void): void {
    if (this.closed) return;
    this.afterFlush.push(fn);
    markDirty(this);
  }

  flush(): void {
    const batch = this.queue;
    const done = this.afterFlush;
    this.queue = [];
    this.afterFlush = [];
    if (!this.open) return;
    if (batch.length > 0) {
      this.socket.cork();
      for (const wire of batch) this.socket.write(wire);
      this.socket.uncork();
      if (this.socket.writableLength > this.maxQueueBytes) return this.cutOff();
    }
    for (const fn of done) fn();
  }

  /** Sends what is queued, then a close frame. */
  close(code = 1000, reason = ""): void {
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
    this.afterFlush = [];
    // A close we did not start cleanly (no close frame, or 1006) is an abrupt loss.
    const abrupt = this.closeCode === 0 && (code === 1006 || code === 1005);
    this.handlers?.onClose(code, abrupt);
  }
}
