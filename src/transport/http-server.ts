import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { WebSocketServer } from "ws";
import type { HttpRefusal, OwnedRoute, WsRoute } from "./routes.js";
import type { Logger } from "../observability/log.js";
import type { Metrics } from "../observability/metrics.js";
import { decideClientAddress } from "./client-address.js";
import { WsConnection } from "./ws-connection.js";

export interface HttpServerOptions {
  routes: OwnedRoute[];
  /** Hard cap on one inbound WebSocket message; dialects apply their own smaller limits with a protocol error. */
  maxPayload: number;
  maxQueueBytes: number;
  log: Logger;
  metrics: Metrics;
  isReady(): boolean;
  /** Why the node cannot serve fully right now (its store or broker is down), or null. Reported by /readyz. */
  unavailable?(): string | null;
  /** Peers whose X-Forwarded-For is believed (the load balancers in front). */
  trustedProxies?: readonly string[];
}

export interface HttpTransport {
  server: Server;
  connections: Set<WsConnection>;
  /** Open WebSocket connections per dialect: what the node registry reports. */
  countsByDialect(): Record<string, number>;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

function refuseUpgrade(socket: Socket, refusal: HttpRefusal): void {
  const headers = { "Content-Type": "application/json", ...refusal.headers, "Content-Length": String(Buffer.byteLength(refusal.body)), Connection: "close" };
  const reason = refusal.status === 400 ? "Bad Request" : refusal.status === 401 ? "Unauthorized" : refusal.status === 404 ? "Not Found" : "Error";
  const head = [`HTTP/1.1 ${refusal.status} ${reason}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)].join("\r\n");
  socket.end(`${head}\r\n\r\n${refusal.body}`);
}

/** The request target as a URL; null for one that does not parse (`//[`), which must not throw out of a handler. */
function parseTarget(req: IncomingMessage): URL | null {
  try {
    return new URL(req.url ?? "/", "http://localhost");
  } catch {
    return null;
  }
}

const BAD_TARGET = { code: 400, reason: "bad request target" };

/** One HTTP server on one port: built-in probes, dialect HTTP routes, and WebSocket upgrades routed by path. */
export function createHttpTransport(opts: HttpServerOptions): HttpTransport {
  const { routes, log, metrics } = opts;
  const connections = new Set<WsConnection>();
  const counts = new Map<string, number>();
  const wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxPayload, perMessageDeflate: false, clientTracking: false });

  const trusted = new Set(opts.trustedProxies ?? []);
  const server = createServer((req, res) => {
    decideClientAddress(req, trusted);
    const url = parseTarget(req);
    if (!url) return sendJson(res, 400, BAD_TARGET);
    void handleHttp(req, res, url).catch((err: unknown) => {
      // Not the path: some carry credentials (/api/sessions/<key>).
      log.error({ err, method: req.method }, "http handler failed");
      if (!res.headersSent) sendJson(res, 500, { code: 500, reason: "internal error" });
      else res.destroy();
    });
  });

  async function handleHttp(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (url.pathname === "/healthz") return sendJson(res, 200, { status: "ok" });
    if (url.pathname === "/readyz") {
      if (!opts.isReady()) return sendJson(res, 503, { status: "draining" });
      const down = opts.unavailable?.() ?? null;
      return down ? sendJson(res, 503, { status: "unavailable", reason: down }) : sendJson(res, 200, { status: "ready" });
    }
    if (url.pathname === "/metrics") {
      const text = await metrics.registry.metrics();
      res.writeHead(200, { "content-type": metrics.registry.contentType });
      return void res.end(text);
    }
    const found = routes.find(({ route }) => route.kind === "http" && route.match(url.pathname));
    if (found && found.route.kind === "http") return found.route.handle(req, res, url);
    sendJson(res, 404, { code: 404, reason: "not found" });
  }

  server.on("upgrade", (req: IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on("error", () => socket.destroy());
    const remote = decideClientAddress(req, trusted);
    const url = parseTarget(req);
    if (!url) return refuseUpgrade(socket, { status: 400, body: JSON.stringify(BAD_TARGET) });
    const found = routes.find(({ route }) => route.kind === "ws" && route.match(url.pathname));
    const route = found?.route as WsRoute | undefined;
    if (!found || !route) return refuseUpgrade(socket, { status: 404, body: JSON.stringify({ code: 404, reason: "not found" }) });
    if (!opts.isReady()) return refuseUpgrade(socket, { status: 503, body: JSON.stringify({ code: 503, reason: "draining" }) });
    void Promise.resolve(route.refuse?.(req, url) ?? null)
      .then((refusal) => {
        if (refusal) return refuseUpgrade(socket, refusal);
        wss.handleUpgrade(req, socket, head, (ws) => {
          const conn = new WsConnection(ws, socket, remote, opts.maxQueueBytes, (c) => {
            metrics.slowReaders.inc();
            log.warn({ conn: c.id }, "slow reader disconnected");
          });
          // One log line and one gauge move per open and per close, for every dialect alike.
          const dialect = found.owner;
          connections.add(conn);
          counts.set(dialect, (counts.get(dialect) ?? 0) + 1);
          metrics.connections.inc({ dialect });
          log.info({ conn: conn.id, dialect, remote }, "connection opened");
          ws.once("close", (code: number) => {
            connections.delete(conn);
            counts.set(dialect, (counts.get(dialect) ?? 1) - 1);
            metrics.connections.dec({ dialect });
            log.info({ conn: conn.id, dialect, code }, "connection closed");
          });
          route.accept(conn, req, url);
        });
      })
      .catch((err: unknown) => {
        log.error({ err, path: url.pathname }, "upgrade failed");
        socket.destroy();
      });
  });

  server.on("clientError", (_err, socket) => socket.destroy());
  return { server, connections, countsByDialect: () => Object.fromEntries(counts) };
}
