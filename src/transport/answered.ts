import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Logger } from "../observability/log.js";
import { clientAddress } from "./client-address.js";
import { FloodGuard } from "./flood-guard.js";

/** After an answer given before its request's body was all read, how much more of the body is read (and dropped) at most, and for how long. */
const LINGER_BYTES = 1024 * 1024;
const LINGER_MS = 2000;

/**
 * An answer went out before the request's body was all read (a 413): Node
 * reads the rest and drops it, keeping the connection. Closing at once
 * instead would reset a client still sending, and a reset can destroy the
 * answer before the client reads it; reading on without end would let an
 * upload run as long as the client likes. So the rest is read for a while,
 * and a body that goes on longer than that ends the connection.
 */
function lingerAfterAnswer(req: IncomingMessage, socket: Socket): void {
  let left = LINGER_BYTES;
  const timer = setTimeout(() => done(!req.complete), LINGER_MS).unref();
  const onData = (chunk: Buffer) => {
    left -= chunk.length;
    if (req.complete || left < 0) done(!req.complete);
  };
  const done = (cut: boolean) => {
    clearTimeout(timer);
    socket.off("data", onData);
    if (cut) socket.destroy();
  };
  socket.on("data", onData);
  socket.once("close", () => done(false));
}

/**
 * What happens to a keep-alive socket once an answer has gone: the rest of
 * an unread body is bounded (above), and 429s count as frames over a
 * connection's rate do — a socket whose requests keep being refused by a
 * rate limit (fuse's pushes, the API's limits) for longer than
 * `floodGraceMs` is closed after its answer, as a flooding connection is.
 */
export function watchAnswers(floodGraceMs: () => number, log: Logger): (req: IncomingMessage, res: ServerResponse) => void {
  const floods = new WeakMap<Socket, FloodGuard>();
  return (req, res) => {
    // Taken now: by the time the answer has gone, the request may have let go of its socket.
    const socket = req.socket;
    res.once("finish", () => {
      if (!req.complete) lingerAfterAnswer(req, socket);
      if (res.statusCode !== 429) return;
      let guard = floods.get(socket);
      if (!guard) floods.set(socket, (guard = new FloodGuard()));
      if (guard.refused(Date.now(), floodGraceMs()) !== "cut") return;
      log.warn({ remote: clientAddress(req) }, "flooding http connection closed");
      socket.end();
    });
  };
}
