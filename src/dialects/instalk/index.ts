import type { IncomingMessage } from "node:http";
import type { Dialect, DialectContext } from "../types.js";
import { InstalkSession } from "./session.js";

const TOKEN_COOKIE = "switchboard_token";

function tokenFrom(req: IncomingMessage, url: URL): string | null {
  const fromQuery = url.searchParams.get("token");
  if (fromQuery) return fromQuery;
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const [name, ...rest] = part.trim().split("=");
    if (name === TOKEN_COOKIE && rest.length > 0) return decodeURIComponent(rest.join("="));
  }
  return null;
}

/** instalk: JSON room chat over WebSocket at /websocket. */
export function instalk(ctx: DialectContext): Dialect {
  const sessions = new Set<InstalkSession>();
  return {
    name: "instalk",
    routes: [
      {
        kind: "ws",
        match: (path) => path === "/websocket" || path === "/websocket/",
        accept(conn, req, url) {
          const session = new InstalkSession(conn, ctx, tokenFrom(req, url));
          sessions.add(session);
          ctx.metrics.connections.inc({ dialect: "instalk" });
          ctx.log.info({ conn: conn.id, dialect: "instalk", remote: conn.remoteAddress }, "connection opened");
          req.socket.once("close", () => sessions.delete(session));
        },
      },
    ],
    async drain() {
      // instalk has no goodbye frame: a 1001 "going away" close is how the protocol can say it.
      for (const session of sessions) session.end(1001, "server shutting down");
    },
  };
}
