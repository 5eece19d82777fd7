import type { Dialect, DialectContext } from "../types.js";
import { SUPPORTED_VERSIONS } from "./schema.js";
import { ReallySession } from "./session.js";

const SOCKET_PATH = /^\/v([^/]+)\/socket\/?$/;
const UNSUPPORTED = JSON.stringify({ code: 400, reason: "protocol version is not supported" });

/** really: tagged JSON requests over WebSocket at /v<version>/socket, on rooms, messages, users and documents. */
export function really(ctx: DialectContext): Dialect {
  const sessions = new Set<ReallySession>();
  return {
    name: "really",
    routes: [
      {
        kind: "ws",
        match: (path) => SOCKET_PATH.test(path),
        // Refused before the upgrade, as plain HTTP: the client never gets a socket for a version we do not speak.
        refuse(_req, url) {
          const version = SOCKET_PATH.exec(url.pathname)?.[1] ?? "";
          return SUPPORTED_VERSIONS.includes(version) ? null : { status: 400, headers: { "Content-Type": "application/json" }, body: UNSUPPORTED };
        },
        accept(conn, req) {
          const session = new ReallySession(conn, ctx);
          sessions.add(session);
          ctx.metrics.connections.inc({ dialect: "really" });
          ctx.log.info({ conn: conn.id, dialect: "really", remote: conn.remoteAddress }, "connection opened");
          req.socket.once("close", () => sessions.delete(session));
        },
      },
    ],
    async drain() {
      // really has no goodbye event: a 1001 "going away" close is how it can say so.
      for (const session of sessions) session.end(1001, "server shutting down");
    },
  };
}
