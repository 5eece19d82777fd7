// Serves a built web app over node:http for browser tests (the server's own
// route for `/` belongs to the server; these tests need only the files). The
// HTTP API (`/auth/`, `/api/`) and fuse's `/push` and `/pull` are passed
// through to the switchboard server, as a page served by that server would
// reach them: same origin, no CORS.

import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, normalize } from "node:path";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".json": "application/json",
};

export interface StaticServer {
  url: string;
  close(): Promise<void>;
}

/** Forwards one request to `target` (an http://host:port) and its answer back. */
function pass(req: IncomingMessage, res: ServerResponse, target: string): void {
  const upstream = request(new URL(req.url ?? "/", target), { method: req.method, headers: { ...req.headers, host: new URL(target).host } }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
  });
  upstream.on("error", () => {
    res.writeHead(502);
    res.end();
  });
  req.pipe(upstream);
}

/** Files under `root`; any path that is not a file gets index.html (the app routes itself). */
export async function serveStatic(root: string, api?: () => string): Promise<StaticServer> {
  const server: Server = createServer((req, res) => {
    if (api && /^\/(auth\/|api\/|push\b|pull\b)/.test(req.url ?? "")) return pass(req, res, api());
    void (async () => {
      const path = normalize(decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname)).replace(/^(\.\.[/\\])+/, "");
      let file = join(root, path);
      const found = await stat(file).catch(() => null);
      if (!found?.isFile()) file = join(root, "index.html");
      res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream", "cache-control": "no-store" });
      createReadStream(file).on("error", () => res.destroy()).pipe(res);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
