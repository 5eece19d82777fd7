import { createReadStream, existsSync } from "node:fs";
import { stat } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { extname, join, normalize, sep } from "node:path";
import { pipeline } from "node:stream/promises";
import { sendJson } from "./http.js";
import type { DescribedRoute } from "./operations.js";
import type { ApiContext } from "./types.js";
import { webAppDir } from "./web-root.js";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".webmanifest": "application/manifest+json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".ico": "image/x-icon",
  ".woff": "font/woff",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
  ".wasm": "application/wasm",
};

/** Vite names built assets `<name>-<hash>.<ext>`: such a file never changes, so browsers may keep it. */
const HASHED = /-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$/;

/** What every file served is sent with. */
const BASE_HEADERS: Record<string, string> = { "x-content-type-options": "nosniff" };

/**
 * The admin pages also: nothing but our own scripts, no framing by other
 * sites, no referrer leaking paths. (The chat app's own needs are its
 * authors' to state; it gets the base headers.)
 */
export const ADMIN_HEADERS: Record<string, string> = {
  ...BASE_HEADERS,
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "content-security-policy":
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
};

export interface StaticApp {
  /** The built app's folder (dist/web/<app>). */
  dir: string;
  /** The URL prefix it is served under ("/admin"), or "" for the site root. */
  prefix: string;
  /** Unknown paths without an extension get index.html (client-side routing). */
  spa: boolean;
  /** Sent with every file of the app. */
  headers: Record<string, string>;
}

/** The file under `dir` that the URL path names, or null when it would leave `dir` or is hidden. */
export function resolveInside(dir: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes("\0") || decoded.includes("\\")) return null;
  const parts = decoded.split("/").filter((p) => p !== "");
  // No dot-files, no `..` (even where normalizing would keep it inside): nothing of ours is named so.
  if (parts.some((p) => p.startsWith("."))) return null;
  const file = normalize(join(dir, ...parts));
  return file === dir || file.startsWith(dir + sep) ? file : null;
}

async function fileAt(path: string | null): Promise<{ path: string; size: number; mtime: Date } | null> {
  if (!path) return null;
  try {
    const info = await stat(path);
    return info.isFile() ? { path, size: info.size, mtime: info.mtime } : null;
  } catch {
    return null;
  }
}

async function serve(req: IncomingMessage, res: ServerResponse, file: { path: string; size: number; mtime: Date }, extra: Record<string, string>): Promise<void> {
  const type = TYPES[extname(file.path).toLowerCase()] ?? "application/octet-stream";
  const cache = HASHED.test(file.path) ? "public, max-age=31536000, immutable" : "no-cache";
  const etag = `W/"${file.size.toString(16)}-${file.mtime.getTime().toString(16)}"`;
  const headers = { ...extra, "content-type": type, "cache-control": cache, etag };
  if (req.headers["if-none-match"] === etag) {
    res.writeHead(304, headers).end();
    return;
  }
  res.writeHead(200, { ...headers, "content-length": String(file.size) });
  if (req.method === "HEAD") return void res.end();
  await pipeline(createReadStream(file.path), res);
}

const notFound = (res: ServerResponse) => sendJson(res, 404, { code: 404, error: "route.unknown", reason: "not found" });

/** Serves one built web app: its files, index.html for its client-side routes, 404 for the rest. */
export function staticApp(app: StaticApp, matches: (path: string) => boolean): DescribedRoute {
  return {
    kind: "http",
    operations: [],
    match: matches,
    async handle(req, res, url) {
      if (req.method !== "GET" && req.method !== "HEAD") {
        return sendJson(res, 405, { code: 405, error: "method.not-allowed", reason: "use GET or HEAD" }, { allow: "GET, HEAD" });
      }
      const rest = url.pathname.slice(app.prefix.length) || "/";
      const path = resolveInside(app.dir, rest);
      const found = (await fileAt(path)) ?? (await fileAt(path === null ? null : join(path, "index.html")));
      if (found) return serve(req, res, found, app.headers);
      // A client-side route (/admin/rooms/lobby) is the app's page; a missing asset is a 404, not a page.
      if (path !== null && app.spa && extname(rest) === "") {
        const index = await fileAt(join(app.dir, "index.html"));
        if (index) return serve(req, res, index, app.headers);
      }
      notFound(res);
    },
  };
}

/** The site root when no chat app is built: where the operator goes next. */
function rootPage(): DescribedRoute {
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Switchboard</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40em; margin: 3em auto; line-height: 1.5">
<h1>Switchboard</h1>
<p>A realtime messaging server. This is not a page for chatting (no chat app is built here).</p>
<ul>
<li><a href="/admin/">The admin dashboard</a> (needs the admin key)</li>
<li><a href="/api/openapi.json">The HTTP API (OpenAPI 3.1)</a></li>
<li><a href="/healthz">Health</a> and <a href="/readyz">readiness</a></li>
</ul>
</body></html>
`;
  return {
    kind: "http",
    operations: [],
    match: (p) => p === "/" || p === "/index.html",
    async handle(req, res) {
      if (req.method !== "GET" && req.method !== "HEAD") {
        return sendJson(res, 405, { code: 405, error: "method.not-allowed", reason: "use GET or HEAD" }, { allow: "GET, HEAD" });
      }
      res.writeHead(200, { ...ADMIN_HEADERS, "content-type": "text/html; charset=utf-8", "cache-control": "no-cache", "content-length": String(Buffer.byteLength(html)) });
      res.end(req.method === "HEAD" ? undefined : html);
    },
  };
}

/**
 * The root app's files sit among the dialects' paths (/websocket, /push…), and
 * routes are tried before the dialects': so it claims only `/`, `/index.html`,
 * `/assets/…` and single-segment file names with an extension (favicon.ico) —
 * never a path a dialect serves.
 */
const rootAppPath = (p: string) => p === "/" || p === "/index.html" || p.startsWith("/assets/") || /^\/[^/]+\.[A-Za-z0-9]+$/.test(p);

/**
 * The web apps the server itself serves: the admin dashboard at /admin, and
 * the chat app (another app of this repo) at / when it is built; without it,
 * / is a small page pointing at /admin and the API document.
 */
export function staticRoutes(_ctx: ApiContext, apps = { admin: webAppDir("admin"), chat: webAppDir("chat") }): DescribedRoute[] {
  const admin = staticApp({ dir: apps.admin, prefix: "/admin", spa: true, headers: ADMIN_HEADERS }, (p) => p === "/admin" || p.startsWith("/admin/"));
  // Checked per request, not at start: the chat app may be built while the server runs.
  const chat = staticApp({ dir: apps.chat, prefix: "", spa: false, headers: BASE_HEADERS }, rootAppPath);
  const fallback = rootPage();
  const root: DescribedRoute = {
    kind: "http",
    operations: [],
    match: rootAppPath,
    async handle(req, res, url) {
      if (existsSync(join(apps.chat, "index.html"))) return chat.handle(req, res, url);
      if (fallback.match(url.pathname)) return fallback.handle(req, res, url);
      notFound(res);
    },
  };
  return [admin, root];
}
