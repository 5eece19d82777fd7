import type { IncomingMessage } from "node:http";
import { LoginLimiter } from "../../core/accounts/login-limiter.js";
import type { Dialect, DialectContext } from "../types.js";
import { FuseAccounts } from "./accounts.js";
import type { Fuse } from "./context.js";
import { Origins } from "./http.js";
import { HttpLinks } from "./links.js";
import { pullRoute } from "./pull.js";
import { pushRoute } from "./push.js";
import { Renderers } from "./render.js";
import { SecretBox } from "./secret-box.js";
import { FuseSocket } from "./ws.js";

/** `::ffff:1.2.3.4` and `1.2.3.4` are the same public address. */
const plainAddress = (addr: string | undefined) => (addr ?? "").replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, "");

const addrOf = (req: IncomingMessage) => plainAddress(req.socket.remoteAddress);

/** fuse: pipe-delimited game lobby lines over HTTP push/pull (`/push`, `/pull`) and WebSocket (`/fuse`). */
export function fuse(ctx: DialectContext): Dialect {
  const box = SecretBox.open(ctx.config.fuse.secretKey, ctx.config.data);
  const { auth } = ctx.config;
  const f: Fuse = {
    ctx,
    accounts: new FuseAccounts(ctx.core, box, auth.minPasswordLength, ctx.config.fuse.anonymousTtlSeconds * 1000),
    renderers: new Renderers(),
    // Its own counters, with the core's limits: a fuse pass is also the account password.
    logins: new LoginLimiter(auth.loginFailuresPerName, auth.loginFailuresPerAddress, auth.loginWindowSeconds * 1000),
    origins: new Origins(ctx.config.fuse.allowedOrigins),
  };
  const links = new HttpLinks(f);
  const sockets = new Set<FuseSocket>();
  return {
    name: "fuse",
    routes: [
      pushRoute(f, links, addrOf),
      pullRoute(f, links),
      {
        kind: "ws",
        match: (path) => path === "/fuse" || path === "/fuse/",
        accept(conn, req, url) {
          const socket = new FuseSocket(f, conn, url.searchParams.get("name") ?? "", addrOf(req));
          sockets.add(socket);
          req.socket.once("close", () => sockets.delete(socket));
        },
      },
    ],
    async drain() {
      // fuse has no goodbye line: sockets get a 1001 close, pulls simply end.
      for (const socket of sockets) socket.end(1001, "server shutting down");
      for (const link of links.all()) link.close();
    },
  };
}
