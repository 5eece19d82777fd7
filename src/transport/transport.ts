import type { OutFrame } from "../core/types.js";

/** How a client is carried: a WebSocket, an SSE stream with POSTs, or HTTP long-polling. */
export type TransportKind = "websocket" | "sse" | "poll";

/** What a transport tells the one connection bound to it. */
export interface TransportEvents {
  /** One inbound frame, as the client sent it (a WebSocket message, one frame of a POST). */
  onFrame(data: Buffer, isBinary: boolean): void;
  /** The transport is gone; `abrupt` when nobody closed it cleanly (a lost TCP connection, a stream that dropped, a poller that stopped coming). */
  onClose(code: number, abrupt: boolean): void;
}

/**
 * One client's carrier, whatever it is made of. Outbound frames are queued
 * and written once per event-loop turn; a reader whose unsent backlog grows
 * past the transport's bound is cut off. Dialects see this interface only,
 * never a concrete transport class.
 */
export interface Transport {
  /** Unique on this node: the connection id in logs, presence and hub subscriptions. */
  readonly id: string;
  readonly kind: TransportKind;
  readonly remoteAddress: string;
  /** Frames written now can still reach the client. */
  readonly open: boolean;
  /** Bytes handed to the transport that the peer has not taken yet: the backpressure the slow-reader cut-off watches. */
  readonly backlog: number;
  /** Called once, in the turn the transport is accepted, before any frame can arrive. */
  bind(events: TransportEvents): void;
  /** Queues one frame; an `OutFrame` is framed once for all transports of its kind and the bytes shared. */
  write(frame: OutFrame | string): void;
  writeMany(frames: ReadonlyArray<OutFrame | string>): void;
  /**
   * Calls `fn` once this turn's frames were handed to the open carrier (for
   * callers that must know what reached the wire: resume cursors). Never
   * called if the transport closes first.
   */
  onFlushed(fn: () => void): void;
  /** Writes what is queued, then closes with `code` and `reason` (the client learns both). */
  close(code: number, reason: string): void;
  /** Drops the carrier now, queued frames with it. */
  terminate(): void;
}

let nextId = 1;

/** A node-unique id for a new transport, whatever its kind. */
export const connectionId = (): string => `c${(nextId++).toString(36)}`;

/** Told when a transport cuts off a reader that fell too far behind (one function for the node, not one per connection). */
export type SlowReaderHook = (transport: Transport) => void;
