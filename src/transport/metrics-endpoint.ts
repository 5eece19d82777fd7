import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Registry } from "prom-client";

/** Compares digests, so neither the token's length nor its first differing byte shows in the timing. */
function sameSecret(given: string, expected: string): boolean {
  const digest = (s: string) => createHash("sha256").update(s, "utf8").digest();
  return timingSafeEqual(digest(given), digest(expected));
}

function bearerOf(req: IncomingMessage): string | null {
  const header = req.headers.authorization ?? "";
  const match = /^Bearer +(\S+)\s*$/i.exec(header);
  return match ? match[1] : null;
}

function plain(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8", "Content-Length": String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

/**
 * `/metrics`: Prometheus text, to GET only, and with `token` set only to a
 * request that carries it as a bearer token. Read at each request: a token
 * set live applies at once.
 */
export async function serveMetrics(req: IncomingMessage, res: ServerResponse, registry: Registry, token: () => string): Promise<void> {
  if (req.method !== "GET") return plain(res, 405, "method not allowed\n", { Allow: "GET" });
  const expected = token();
  if (expected !== "") {
    const given = bearerOf(req);
    if (given === null || !sameSecret(given, expected)) return plain(res, 401, "unauthorized\n", { "WWW-Authenticate": 'Bearer realm="metrics"' });
  }
  const text = await registry.metrics();
  res.writeHead(200, { "Content-Type": registry.contentType, "Cache-Control": "no-store" });
  res.end(text);
}

/** A server of its own for `/metrics` (`metrics.port`), so the public port need not expose it. */
export function createMetricsServer(registry: Registry, token: () => string, onError: (err: unknown) => void): Server {
  return createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path !== "/metrics") return plain(res, 404, "not found\n");
    serveMetrics(req, res, registry, token).catch((err: unknown) => {
      onError(err);
      if (!res.headersSent) plain(res, 500, "internal error\n");
      else res.destroy();
    });
  });
}
