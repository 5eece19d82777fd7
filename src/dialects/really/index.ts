import type { Dialect, DialectContext } from "../types.js";
import { SUPPORTED_VERSIONS } from "./schema.js";
import { ReallySession } from "./session.js";

const SOCKET_PATH = /^\/v([^/]+)\/socket\/?$/;
const UNSUPPORTED = JSON.stringify({ code: 400, reason: "protocol version is not supported" });

/** really: tagged JSON requests at /v<version>/socket (WebSocket, or SSE and long-poll under it), on rooms, messages, users and documents. */
export function really(ctx: DialectContext): Dialect {
  // `subscribe` with a `rev` replays what the client missed: every document change is kept (bounded) from now on.
  ctx.core.documents.keepChanges(ctx.core.store.history);
  return {
    name: "really",
    routes: [
      {
        kind: "endpoint",
        match: (path) => SOCKET_PATH.test(path),
        // Refused before the upgrade, as plain HTTP: the client never gets a socket for a version we do not speak.
        refuse(_req, url) {
          const version = SOCKET_PATH.exec(url.pathname)?.[1] ?? "";
          return SUPPORTED_VERSIONS.includes(version) ? null : { status: 400, headers: { "Content-Type": "application/json" }, body: UNSUPPORTED };
        },
        accept(transport) {
          // No goodbye event in really: the 1001 close on drain says it.
          new ReallySession(transport, ctx);
        },
      },
    ],
  };
}
