import type { OutFrame } from "../../src/core/types.js";
import type { Transport, TransportEvents } from "../../src/transport/transport.js";

/** A transport that records what the connection wrote and how it closed, and lets the test play the client. */
export class FakeTransport implements Transport {
  readonly kind = "websocket" as const;
  readonly remoteAddress = "127.0.0.1";
  readonly sent: string[] = [];
  closedWith: { code: number; reason: string } | null = null;
  backlog = 0;
  private events: TransportEvents | null = null;
  private flushed: Array<() => void> = [];
  private static n = 0;
  readonly id = `t${++FakeTransport.n}`;

  get open(): boolean {
    return this.closedWith === null;
  }

  bind(events: TransportEvents): void {
    this.events = events;
  }

  write(frame: OutFrame | string): void {
    if (this.open) this.sent.push(typeof frame === "string" ? frame : frame.text);
  }

  writeMany(frames: ReadonlyArray<OutFrame | string>): void {
    for (const f of frames) this.write(f);
  }

  onFlushed(fn: () => void): void {
    this.flushed.push(fn);
  }

  close(code: number, reason: string): void {
    if (this.closedWith) return;
    this.closedWith = { code, reason };
    this.events?.onClose(code, false);
  }

  terminate(): void {
    this.close(1006, "");
  }

  /** The client sends a frame (a JSON value, or text as it is). */
  frame(value: unknown): void {
    this.bytes(Buffer.from(typeof value === "string" ? value : JSON.stringify(value)), false);
  }

  /** The client sends these bytes as one frame. */
  bytes(data: Buffer, binary: boolean): void {
    this.events?.onFrame(data, binary);
  }

  /** The peer went away. */
  drop(): void {
    this.close(1006, "");
  }
}
