import { STATUS_CODES, type ServerResponse } from "node:http";
import type { Socket } from "node:net";

/** The parser's complaints that have their own status; everything else it refuses is 400 (Node's own server answers the same). */
const STATUS_OF: Record<string, number> = {
  HPE_HEADER_OVERFLOW: 431,
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 413,
  ERR_HTTP_REQUEST_TIMEOUT: 408,
};

/** A client that hung up (or reset) mid-request: nothing to answer and nothing wrong with the server. */
export function isClientGone(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === "ECONNRESET" || code === "EPIPE" || code === "ECONNABORTED" || code === "ERR_STREAM_PREMATURE_CLOSE" || (err instanceof Error && err.message === "aborted");
}

/** The response in progress on the socket (Node keeps it there), when it has started: the error answer must wait for its end. */
function inProgress(socket: Socket): ServerResponse | null {
  const current = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
  return current?.headersSent === true && !current.writableFinished ? current : null;
}

/** How long a client refused this way has to read the answer before its socket is dropped (it may still be sending). */
const LINGER_MS = 1000;

/**
 * A request the HTTP parser refused (an unknown method, headers over the
 * limit, Content-Length together with chunked encoding, a request that took
 * too long): answered as Node's own server would, with 400, 431, 413 or 408
 * and `Connection: close`, then the socket ends. A client that went away
 * gets nothing, and none of this is an error of the server's.
 */
export function answerClientError(err: Error & { code?: string }, socket: Socket): void {
  if (isClientGone(err) || !socket.writable) return void socket.destroy();
  const status = STATUS_OF[err.code ?? ""] ?? 400;
  const body = JSON.stringify({ code: status, reason: (STATUS_CODES[status] ?? "Bad Request").toLowerCase() });
  const head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Bad Request"}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
  const answer = () => (socket.writable ? socket.end(head + body) : socket.destroy());
  // A pipelined bad request behind a good one: the good one's answer goes first.
  const current = inProgress(socket);
  if (current) current.once("finish", answer);
  else answer();
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}
