// One error type for everything a client promise can reject with or an
// `error` event can carry: the server's own codes, and the few the client adds.

/** Codes the client itself produces; every other code is the server's (`room.not-joined`, `object.gone`, …). */
export type ClientErrorCode =
  /** No reply within the request's timeout. `sent` tells whether the server may have seen it. */
  | "request.timeout"
  /** The connection died after the request went out: it may or may not have been carried out. */
  | "connection.lost"
  /** `close()` was called, or the client gave up reconnecting. */
  | "client.closed"
  /** The client cannot take more requests while disconnected. */
  | "outbox.full"
  /** The server answered with something the client cannot read. */
  | "reply.unexpected";

export interface ErrorInfo {
  /** HTTP-like status when the server gave one. */
  status?: number;
  /** Field errors or any other detail the server sent. */
  details?: unknown;
  /** True when reconnecting cannot help (a refused credential, a revoked key). */
  fatal?: boolean;
  /** For requests: whether the frame was written to a socket. */
  sent?: boolean;
}

export class SwitchboardError extends Error {
  override readonly name = "SwitchboardError";

  constructor(
    readonly code: ClientErrorCode | (string & {}),
    message: string = code,
    readonly info: ErrorInfo = {},
  ) {
    super(message);
  }

  get fatal(): boolean {
    return this.info.fatal === true;
  }
}

export const closedError = () => new SwitchboardError("client.closed", "the client was closed", { fatal: true });
