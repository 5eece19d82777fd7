import type { IncomingMessage } from "node:http";
import type { AuthSession } from "../../core/auth.js";
import type { Dialect, DialectContext, HttpRefusal } from "../types.js";
import { Invites } from "./invites.js";
import { kickFrame } from "./render.js";
import { CLOSE, RelaySession } from "./session.js";

/** Session keys are 32 characters; anything far longer is not worth a store lookup. */
const MAX_KEY_CHARS = 256;

const unauthorized: HttpRefusal = {
  status: 401,
  body: JSON.stringify({ code: "key.invalid", message: "unknown or revoked session key" }),
};

/** relay: JSON room chat at /relay?key=<session key> (WebSocket, or SSE and long-poll under it); the server relays content and never keeps it. */
export function relay(ctx: DialectContext): Dialect {
  /** This node's relay sockets by user: where a kick made on any node is carried out. */
  const byUser = new Map<string, Set<RelaySession>>();
  /** The key's session, resolved by `refuse` before the upgrade and taken by `accept`. */
  const resolved = new WeakMap<IncomingMessage, { key: string; auth: AuthSession }>();
  const invites = new Invites(ctx.core, ctx.config.relay.inviteTtlSeconds * 1000);

  const gone = (s: RelaySession) => {
    const set = byUser.get(s.user.id);
    set?.delete(s);
    if (set?.size === 0) byUser.delete(s.user.id);
  };

  void ctx.core.access.watchKicks((kick) => {
    const sessions = byUser.get(kick.userId);
    if (!sessions) return;
    const frame = kickFrame(kick);
    for (const s of sessions) s.kicked(kick, frame);
  });

  return {
    name: "relay",
    routes: [
      {
        kind: "endpoint",
        match: (path) => path === "/relay" || path === "/relay/",
        async refuse(req, url) {
          const key = url.searchParams.get("key");
          if (!key || key.length > MAX_KEY_CHARS) return unauthorized;
          const auth = await ctx.core.accounts.resolveSessionKey(key);
          if (!auth) return unauthorized;
          resolved.set(req, { key, auth });
          return null;
        },
        accept(transport, req) {
          const found = resolved.get(req);
          resolved.delete(req);
          if (!found) return transport.close(CLOSE.keyEnded, "key not resolved");
          const session = new RelaySession(transport, ctx, found.key, found.auth, invites, gone);
          let set = byUser.get(session.user.id);
          if (!set) byUser.set(session.user.id, (set = new Set()));
          set.add(session);
        },
      },
    ],
  };
}
