import type { Dialect, DialectContext } from "../types.js";
import { PubsubSession } from "./session.js";
import { startChores } from "./chores.js";
import { ExternalVerifiers } from "./verifier.js";

/** How long shutdown waits for clients to answer the close. */
const DRAIN_WAIT_MS = 1500;
/** Then how long it waits for the sessions of the connections it cut to record their cursors. */
const CLEANUP_WAIT_MS = 3000;

/** Resolves when every promise settled or after `ms`, whichever comes first. */
async function settledWithin(promises: Array<Promise<unknown>>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  await Promise.race([Promise.allSettled(promises), timeout]);
  clearTimeout(timer);
}

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
      await settledWithin([...sessions].map((s) => s.finished), DRAIN_WAIT_MS);
      // Clients that did not answer the close are cut off here, while the store is still
      // open: their sessions must record their final cursors and that they are no longer
      // live, or a resume after the restart waits for a holder that is gone and replays
      // what was already delivered. The server closes the store only after this resolves.
      const left = [...sessions];
      for (const session of left) session.conn.terminate();
      await settledWithin(left.map((s) => s.finished), CLEANUP_WAIT_MS);
    },
  };
}
