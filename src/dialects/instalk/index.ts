import type { IncomingMessage } from "node:http";
import type { Dialect, DialectContext } from "../types.js";
import { InstalkSession } from "./session.js";

const TOKEN_COOKIE = "switchboard_token";

function tokenFrom(req: IncomingMessage, url: URL): string | null {
  const fromQuery = url.searchParams.get("token");
  if (fromQuery) return fromQuery;
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const [name, ...rest] = part.trim().split("=");
    if (name === TOKEN_COOKIE && rest.length > 0) {
      try {
        return decodeURIComponent(rest.join("="));
      } catch {
        return null; // not percent-encoding we can read: no credential, a guest
      }
    }
  }
  return null;
}

/** instalk: JSON room chat at /websocket (WebSocket, or SSE and long-poll under it). */
export function instalk(ctx: DialectContext): Dialect {
  return {
    name: "instalk",
    routes: [
      {
        kind: "endpoint",
        match: (path) => path === "/websocket" || path === "/websocket/",
        accept(transport, req, url) {
          // The session binds itself to its connection; instalk has no goodbye frame, so the 1001 close on drain is all it needs.
          new InstalkSession(transport, ctx, tokenFrom(req, url));
        },
      },
    ],
  };
}
