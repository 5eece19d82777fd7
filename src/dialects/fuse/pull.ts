import type { IncomingMessage, ServerResponse } from "node:http";
import type { HttpRoute } from "../types.js";
import type { Fuse } from "./context.js";
import { nameProblem } from "./dispatch.js";
import type { FleetWire } from "./fleet.js";
import { sendLine } from "./http.js";
import type { HttpLinks } from "./links.js";
import { PullRelay } from "./pull-relay.js";
import { PullStream } from "./pull-stream.js";

/**
 * `GET /pull?name=…`: the session's broadcasts, one line each (or one SSE
 * event each with `Accept: text/event-stream`), starting with `noop`. One pull
 * per session: a new one ends the old. A session that lives on another node
 * is pulled through that node (`PullRelay`).
 */
export function pullRoute(f: Fuse, links: HttpLinks, wire: FleetWire, relays: Map<string, PullRelay>): HttpRoute {
  const origins = f.origins;
  return {
    kind: "http",
    match: (path) => path === "/pull" || path === "/pull/",
    async handle(req: IncomingMessage, res: ServerResponse, url: URL) {
      if (req.method === "OPTIONS") return origins.preflight(req, res);
      const headers = origins.headers(req);
      if (req.method !== "GET") return sendLine(res, 405, "main|fail|method not allowed", { ...headers, Allow: "GET, OPTIONS" });
      const name = url.searchParams.get("name") ?? "";
      const problem = nameProblem(name);
      if (problem) return sendLine(res, 400, problem, headers);
      const refuse = () => sendLine(res, 401, "main|fail|user not authorized", headers);
      const open = () => openStream(f, req, res, headers);
      const token = origins.token(req);
      let entry = links.find(token, name);
      if (!entry && links.mayBeElsewhere(token, name)) {
        const home = await links.locate(token, name);
        // Gone while we looked: a stream opened now would never hear its close.
        if (req.socket.destroyed) return;
        if (home) {
          if (home.name.toLowerCase() !== name.toLowerCase()) return refuse();
          return new PullRelay(f, wire, links, home, res, relays).start(name, open, refuse);
        }
        entry = links.find(token, name);
      }
      if (!entry || entry.session.ended || entry.session.user.name.toLowerCase() !== name.toLowerCase()) return refuse();
      const stream = open();
      entry.link.attach(stream);
      const link = entry.link;
      res.once("close", () => link.detached(stream));
    },
  };
}

/** Starts the held-open response: plain lines, or Server-Sent Events when the client asks for them. */
function openStream(f: Fuse, req: IncomingMessage, res: ServerResponse, headers: Record<string, string>): PullStream {
  const sse = (req.headers.accept ?? "").includes("text/event-stream");
  res.writeHead(200, {
    ...headers,
    "Content-Type": sse ? "text/event-stream; charset=utf-8" : "text/plain; charset=utf-8",
    "Cache-Control": "no-cache, no-store",
    // Proxies that buffer responses (nginx) would hold the stream back.
    "X-Accel-Buffering": "no",
  });
  res.flushHeaders();
  return new PullStream(res, sse, f.ctx.config.fuse.noopMs, f.ctx.wheel, f.ctx.config.limits.maxQueueBytes);
}
