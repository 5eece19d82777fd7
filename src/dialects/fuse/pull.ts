import type { IncomingMessage, ServerResponse } from "node:http";
import type { HttpRoute } from "../types.js";
import type { Fuse } from "./context.js";
import { nameProblem } from "./dispatch.js";
import { sendLine } from "./http.js";
import type { HttpLinks } from "./links.js";
import { PullStream } from "./pull-stream.js";

/**
 * `GET /pull?name=…`: the session's broadcasts, one line each (or one SSE
 * event each with `Accept: text/event-stream`), starting with `noop`. One pull
 * per session: a new one ends the old.
 */
export function pullRoute(f: Fuse, links: HttpLinks): HttpRoute {
  const { noopMs } = f.ctx.config.fuse;
  const origins = f.origins;
  return {
    kind: "http",
    match: (path) => path === "/pull" || path === "/pull/",
    handle(req: IncomingMessage, res: ServerResponse, url: URL) {
      if (req.method === "OPTIONS") return origins.preflight(req, res);
      const headers = origins.cors(req);
      if (req.method !== "GET") return sendLine(res, 405, "main|fail|method not allowed", { ...headers, Allow: "GET, OPTIONS" });
      const name = url.searchParams.get("name") ?? "";
      const problem = nameProblem(name);
      if (problem) return sendLine(res, 400, problem, headers);
      const entry = links.find(origins.token(req), name);
      if (!entry || entry.session.ended || entry.session.user.name.toLowerCase() !== name.toLowerCase()) {
        return sendLine(res, 401, "main|fail|user not authorized", headers);
      }
      const sse = (req.headers.accept ?? "").includes("text/event-stream");
      res.writeHead(200, {
        ...headers,
        "Content-Type": sse ? "text/event-stream; charset=utf-8" : "text/plain; charset=utf-8",
        "Cache-Control": "no-cache, no-store",
        // Proxies that buffer responses (nginx) would hold the stream back.
        "X-Accel-Buffering": "no",
      });
      res.flushHeaders();
      const stream = new PullStream(res, sse, noopMs, f.ctx.wheel, f.ctx.config.limits.maxQueueBytes);
      entry.link.attach(stream);
      res.once("close", () => entry.link.detached(stream));
    },
  };
}
