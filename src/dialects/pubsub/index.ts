import type { Dialect, DialectContext } from "../types.js";
import { PubsubSession } from "./session.js";
import { startChores } from "./chores.js";
import { ExternalVerifiers } from "./verifier.js";

/** How long shutdown waits for closing sessions to record their cursors. */
const DRAIN_WAIT_MS = 1500;

/** pubsub: topics with presence and resumable sessions over WebSocket at /pubsub. */
export function pubsub(ctx: DialectContext): Dialect {
  const sessions = new Set<PubsubSession>();
  const verifiers = new ExternalVerifiers(ctx.config.pubsub.providers, ctx.log);
  const stopChores = startChores(ctx, sessions);
  return {
    name: "pubsub",
    routes: [
      {
        kind: "ws",
        match: (path) => path === "/pubsub" || path === "/pubsub/",
        accept(conn) {
          const session = new PubsubSession(conn, ctx, verifiers);
          sessions.add(session);
          void session.finished.then(() => sessions.delete(session));
        },
      },
    ],
    async drain() {
      stopChores();
      // No goodbye op in the protocol: a 1001 close, and the sessions stay resumable on another node.
      for (const session of sessions) session.end(1001, "server shutting down");
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, DRAIN_WAIT_MS)));
      await Promise.race([Promise.allSettled([...sessions].map((s) => s.finished)), timeout]);
      clearTimeout(timer);
    },
  };
}
