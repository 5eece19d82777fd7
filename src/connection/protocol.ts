import type { Config } from "../config/schema.js";
import type { CredentialEnd } from "./credentials.js";

/**
 * Why the connection refused a frame before the dialect's handlers saw it.
 * `ref` is what the dialect quotes back from a frame it could read (really's
 * tag, pubsub's op and id, relay's type), so even a refusal can be matched to
 * its request.
 */
export type Refusal<Ref> =
  | { kind: "rate-limited"; ref: Ref | null }
  | { kind: "too-large" }
  | { kind: "not-json" }
  | { kind: "not-object"; value: unknown }
  | { kind: "too-deep"; ref: Ref | null }
  | { kind: "binary" }
  /** More frames wait for their turn than the connection keeps: the connection ends. */
  | { kind: "overloaded" };

/** What the connection does instead of (or after) a handler: a frame, a close, or both. */
export interface Answer {
  /** The frame to send, in its turn. */
  text?: string;
  /** A refusal's label on the protocol-error metric. */
  code?: string;
  /** Closes the connection after `text`. */
  close?: { code: number; reason: string };
  /** Frames after this one are not read at all (they could not be told apart from garbage). */
  deaf?: boolean;
}

/** A frame as the dialect reads it: its request, or the answer refusing it. */
export type Read<Req> = { ok: true; request: Req } | { ok: false; answer: Answer };

/**
 * The static half of a dialect, shared by all its connections: how frames
 * are read and how every refusal and ending is said. The per-connection half
 * is `Handlers`.
 */
export interface Protocol<Req, Ref = never> {
  /** The dialect's name: the label on its metrics. */
  readonly name: string;
  /**
   * "json": every frame is a JSON object, checked for size, syntax and nesting
   * before `read` sees it; "text": frames are lines, and binary frames are
   * refused.
   */
  readonly format: "json" | "text";
  /** Frames longer than this get the `too-large` refusal and are not read. */
  maxFrameBytes(config: Config): number;
  /** What a refusal may quote from a frame that parsed; null when it has nothing usable. */
  refOf?(value: Record<string, unknown>): Ref | null;
  read(value: Record<string, unknown> | string): Read<Req>;
  refuse(refusal: Refusal<Ref>): Answer;
  /** A credential the connection watches was revoked or expired; the connection closes with this. */
  credentialEnded?(why: CredentialEnd): Answer;
  /** Grace (before `ready`) and idle (after) periods, read live from the configuration; absent: none. */
  graceMs?(config: Config): number;
  idleMs?(config: Config): number;
}

/** The dialect's side of one connection: its handlers. Every method runs in the connection's turn unless it says otherwise. */
export interface Handlers<Req> {
  /**
   * The first frame of a protocol that opens with an init (instalk): given
   * before any check and without costing a token; null when it could not be
   * read (too large, not JSON, not an object, too deep).
   */
  first?(value: Record<string, unknown> | null): Promise<void> | void;
  handle(request: Req): Promise<void> | void;
  /** A request handled at once, outside the queue and the rate limit (relay's pong to a ping in flight); true when taken. */
  immediate?(request: Req): boolean;
  /** The handler threw: log it (the dialect knows what may be logged) and refuse it. */
  failed(err: unknown, request: Req): void;
  /** The grace or idle period ran out: say so and close. */
  expired?(): void;
  /** The connection is gone; runs after every queued request. */
  closed(): Promise<void> | void;
}
