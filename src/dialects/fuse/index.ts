import type { IncomingMessage } from "node:http";
import { LoginLimiter } from "../../core/accounts/login-limiter.js";
import type { Dialect, DialectContext } from "../types.js";
import { FuseAccounts } from "./accounts.js";
import type { Fuse } from "./context.js";
import { Origins } from "./http.js";
import { fuseWire } from "./fleet.js";
import { HttpLinks } from "./links.js";
import type { PullRelay } from "./pull-relay.js";
import { pullRoute } from "./pull.js";
import { Pushes } from "./push.js";
import { Renderers } from "./render.js";
import { SecretBox } from "./secret-box.js";
import { FuseSocket } from "./ws.js";
import { clientAddress } from "../../transport/client-address.js";

/** The client's address as the transport decided it (behind trusted proxies, the forwarded one). */
const addrOf = (req: IncomingMessage) => clientAddress(req);

/** fuse: pipe-delimited game lobby lines over HTTP push/pull (`/push`, `/pull`) and WebSocket (`/fuse`). */
export function fuse(ctx: DialectContext): Dialect {
  const box = SecretBox.open(ctx.config.fuse.secretKey, ctx.config.data);
  const { auth } = ctx.config;
  const f: Fuse = {
    ctx,
    accounts: new FuseAccounts(ctx.core, box, auth.minPasswordLength, ctx.config.fuse.anonymousTtlSeconds * 1000),
    renderers: new Renderers(),
    // Its own counters, with the core's limits: a fuse pass is also the account password.
    logins: new LoginLimiter(ctx.core.broker.counters, "fuse-login", auth.loginFailuresPerName, auth.loginFailuresPerAddress, auth.loginWindowSeconds * 1000),
    origins: new Origins(ctx.config.fuse.allowedOrigins),
  };
  // HTTP sessions in a fleet: pushes and pulls that land on another node reach the session's home over the broker.
  const wire = fuseWire(f);
  const links = new HttpLinks(f, wire);
  const pushes = new Pushes(f, links, wire);
  /** Pulls held here for sessions of other nodes, by id. */
  const relays = new Map<string, PullRelay>();
  const str = (value: unknown) => (typeof value === "string" ? value : "");
  const lines = (value: unknown) => (Array.isArray(value) ? value.filter((l): l is string => typeof l === "string") : []);
  wire.on("push", (data, reply) => pushes.forwarded(data, reply));
  wire.on("pull", (data, reply) => {
    const answer = links.pullFrom(str(data.sid), str(data.name), str(data.from), str(data.pull));
    reply(answer === "ok" ? { ok: true } : { ok: false, unknown: answer === "unknown" });
  });
  wire.on("keep", (data, reply) => reply({ ok: links.keep(str(data.sid), str(data.pull)) }));
  wire.on("unpull", (data) => links.unpull(str(data.sid), str(data.pull)));
  wire.on("lines", (data) => relays.get(str(data.pull))?.take(lines(data.lines), false));
  wire.on("end", (data) => relays.get(str(data.pull))?.take([], true));
  wire.start().catch((err: unknown) => ctx.log.error({ err, dialect: "fuse" }, "fuse fleet channel not subscribed"));
  return {
    name: "fuse",
    routes: [
      pushes.route(addrOf),
      pullRoute(f, links, wire, relays),
      {
        // fuse keeps its own URLs: /push and /pull are its HTTP transport, so this endpoint is WebSocket only.
        kind: "endpoint",
        transports: ["websocket"],
        match: (path) => path === "/fuse" || path === "/fuse/",
        accept(transport, req, url) {
          new FuseSocket(f, transport, url.searchParams.get("name") ?? "", addrOf(req));
        },
      },
    ],
    async drain() {
      // fuse has no goodbye line: sockets get the connection layer's 1001 close, pulls simply end.
      for (const relay of [...relays.values()]) relay.end();
      await links.closeAll();
    },
  };
}
