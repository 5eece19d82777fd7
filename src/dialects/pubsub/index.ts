import type { Dialect, DialectContext } from "../types.js";
import { PubsubSession } from "./session.js";
import { startChores } from "./chores.js";
import { ExternalVerifiers } from "./verifier.js";

/** pubsub: topics with presence and resumable sessions at /pubsub (WebSocket, or SSE and long-poll under it). */
export function pubsub(ctx: DialectContext): Dialect {
  const sessions = new Set<PubsubSession>();
  const verifiers = new ExternalVerifiers(ctx.config.pubsub.providers, ctx.log);
  const stopChores = startChores(ctx, sessions);
  return {
    name: "pubsub",
    routes: [
      {
        kind: "endpoint",
        match: (path) => path === "/pubsub" || path === "/pubsub/",
        accept(transport) {
          const session = new PubsubSession(transport, ctx, verifiers);
          sessions.add(session);
          void session.finished.then(() => sessions.delete(session));
        },
      },
    ],
    // No goodbye op in the protocol: the connection layer's drain closes every connection with 1001 and
    // waits for each session to record its final cursors, so a session stays resumable on another node.
    async drain() {
      stopChores();
    },
  };
}
