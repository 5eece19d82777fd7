import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { WebSocketServer } from "ws";
import type { EndpointRoute, HttpRefusal, OwnedRoute } from "./routes.js";
import type { Logger } from "../observability/log.js";
import type { Metrics } from "../observability/metrics.js";
import { AddressCounts } from "./address-counts.js";
import { watchAnswers } from "./answered.js";
import { clientAddress, decideClientAddress } from "./client-address.js";
import { answerClientError, isClientGone } from "./client-errors.js";
import { HttpSessions } from "./http-sessions.js";
import { serveMetrics } from "./metrics-endpoint.js";
import type { TimerWheel } from "./timer-wheel.js";
import type { SlowReaderHook, Transport, TransportKind } from "./transport.js";
import { TransportSocket, WsTransport, type WsSettings } from "./ws-transport.js";

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
  /** Minted into HTTP session ids, so any node of a fleet can tell where a session lives. */
  nodeId: string;
  wheel: TimerWheel;
  /** Read at every use, so live settings apply: connections one address may hold, and how long a flood may go on. */
  limits(): { connectionsPerAddress: number; floodGraceMs: number };
  /** `/metrics` on this server (false: it has a port of its own), and the bearer token it wants ("" for none). */
  metricsEndpoint: { here: boolean; token(): string };
}

export interface HttpFront {
  server: Server;
  /** Every open transport, whatever its kind: shutdown closes what the dialects left. */
  connections: OpenTransports;
  /** The SSE and long-poll sessions of this node (the fleet layer reaches them through this). */
  sessions: HttpSessions;
  /** Open connections per dialect: what the node registry reports. */
  countsByDialect(): Record<string, number>;
}

/** The open transports, as shutdown reads them. */
export interface OpenTransports extends Iterable<Transport> {
  readonly size: number;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** An upgrading socket's error listener: one function for every socket (`this` is the socket). */
function destroySocket(this: Socket): void {
  this.destroy();
}

function refuseUpgrade(socket: Socket, refusal: HttpRefusal): void {
  const headers = { "Content-Type": "application/json", ...refusal.headers, "Content-Length": String(Buffer.byteLength(refusal.body)), Connection: "close" };
  const head = [`HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status] ?? "Error"}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)].join("\r\n");
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

/** The refusal of a connection over `limits.connectionsPerAddress`: the same on an upgrade and on a request opening an HTTP session. */
const TOO_MANY_BODY = { code: 429, reason: "too many connections from this address" };
const TOO_MANY: HttpRefusal = { status: 429, headers: { "Retry-After": "10" }, body: JSON.stringify(TOO_MANY_BODY) };

const HTTP_TRANSPORTS = ["sse", "poll"] as const;

/** `<endpoint>/sse` or `<endpoint>/poll` (a trailing slash allowed): the transport and the endpoint's own path. */
function httpTransportOf(path: string): { kind: "sse" | "poll"; base: string } | null {
  const trimmed = path.endsWith("/") ? path.slice(0, -1) : path;
  for (const kind of HTTP_TRANSPORTS) {
    if (trimmed.endsWith(`/${kind}`)) return { kind, base: trimmed.slice(0, -kind.length - 1) };
  }
  return null;
}

const serves = (route: EndpointRoute, kind: TransportKind) => route.transports?.includes(kind) ?? true;

/** How many client addresses `intern` remembers: past that it starts over (a bound, not a cache worth tuning). */
const INTERNED_MAX = 4096;
const interned = new Map<string, string>();

/** One string per client address, however many sockets it has open (a load balancer's address may have thousands). */
function intern(address: string): string {
  const known = interned.get(address);
  if (known !== undefined) return known;
  if (interned.size >= INTERNED_MAX) interned.clear();
  interned.set(address, address);
  return address;
}

/**
 * Lets go of the socket's cached peer (an object and an address string per
 * socket) once the address was decided and kept: node asks the system again
 * if anyone reads it later.
 */
function forgetPeer(socket: Socket): void {
  const cached = socket as unknown as { _peername?: unknown };
  if (cached._peername !== undefined) cached._peername = undefined;
}

/** One HTTP server on one port: built-in probes, HTTP routes, and client endpoints over WebSocket, SSE and long-poll. */
export function createHttpTransport(opts: HttpServerOptions): HttpFront {
  const { routes, log, metrics } = opts;
  const counts = new Map<string, number>();
  const wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxPayload, perMessageDeflate: false, clientTracking: false, WebSocket: TransportSocket });
  const onSlowReader: SlowReaderHook = (t) => {
    metrics.slowReaders.inc();
    log.warn({ conn: t.id }, "slow reader disconnected");
  };

  const addresses = new AddressCounts(() => opts.limits().connectionsPerAddress, metrics.registry);

  /** Every open connection and its dialect (what `closed` needs, without a closure per connection); one table, not two. */
  const dialects = new Map<Transport, string>();
  const connections: OpenTransports = {
    get size() {
      return dialects.size;
    },
    [Symbol.iterator]: () => dialects.keys(),
  };

  /** One log line and one gauge move per open and per close, for every dialect and transport alike. */
  function opened(t: Transport, dialect: string): void {
    dialects.set(t, dialect);
    addresses.opened(t.remoteAddress);
    counts.set(dialect, (counts.get(dialect) ?? 0) + 1);
    metrics.connections.inc({ dialect });
    log.info({ conn: t.id, dialect, transport: t.kind, remote: t.remoteAddress }, "connection opened");
  }

  /** Once per connection, whoever reports the end first. */
  function closed(t: Transport, code: number): void {
    const dialect = dialects.get(t);
    if (dialect === undefined) return;
    dialects.delete(t);
    addresses.closed(t.remoteAddress);
    counts.set(dialect, (counts.get(dialect) ?? 1) - 1);
    metrics.connections.dec({ dialect });
    log.info({ conn: t.id, dialect, transport: t.kind, code }, "connection closed");
  }

  function track(t: Transport, dialect: string): (code: number) => void {
    opened(t, dialect);
    return (code) => closed(t, code);
  }

  const wsSettings: WsSettings = {
    maxQueueBytes: opts.maxQueueBytes,
    onSlowReader,
    // The code a WebSocket ended with is ours when the peer never answered our close (a slow reader's 1008).
    onEnded: (t) => closed(t, t.closedWith),
  };

  const sessions = new HttpSessions({
    nodeId: opts.nodeId,
    wheel: opts.wheel,
    maxQueueBytes: opts.maxQueueBytes,
    maxPayload: opts.maxPayload,
    onSlowReader,
    track,
  });

  const watchEnd = watchAnswers(() => opts.limits().floodGraceMs, log);

  const trusted = new Set(opts.trustedProxies ?? []);
  const server = createServer((req, res) => {
    decideClientAddress(req, trusted);
    watchEnd(req, res);
    const url = parseTarget(req);
    if (!url) return sendJson(res, 400, BAD_TARGET);
    void handleHttp(req, res, url).catch((err: unknown) => {
      // A client that hung up mid-request (an abandoned upload) is no fault of the server's.
      if (isClientGone(err) || (req.destroyed && !req.complete)) {
        log.info({ method: req.method }, "client went away mid-request");
        return void res.destroy();
      }
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
    if (url.pathname === "/metrics" && opts.metricsEndpoint.here) return serveMetrics(req, res, metrics.registry, opts.metricsEndpoint.token);
    const asked = httpTransportOf(url.pathname);
    for (const { owner, route } of routes) {
      if (route.kind === "http" && route.match(url.pathname)) return route.handle(req, res, url);
      if (route.kind === "endpoint" && asked && serves(route, asked.kind) && route.match(asked.base)) return endpointHttp(owner, route, asked.kind, asked.base, req, res, url);
    }
    sendJson(res, 404, { code: 404, reason: "not found" });
  }

  /** A request to an endpoint's HTTP transport: one naming its session goes to it; one without opens a session. */
  async function endpointHttp(owner: string, route: EndpointRoute, kind: "sse" | "poll", base: string, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const sid = url.searchParams.get("sid");
    if (sid !== null) return sessions.serve(kind, sid, req, res);
    if (req.method !== "GET") return sendJson(res, 405, { code: 405, reason: "GET opens a session; other methods name one with ?sid=" }, { Allow: "GET" });
    if (!opts.isReady()) return sendJson(res, 503, { code: 503, reason: "draining" });
    // The dialect sees its endpoint's URL, whichever transport was asked for.
    const endpoint = new URL(url);
    endpoint.pathname = base;
    const refusal = await route.refuse?.(req, endpoint);
    if (refusal) {
      res.writeHead(refusal.status, { "Content-Type": "application/json", ...refusal.headers, "Content-Length": String(Buffer.byteLength(refusal.body)) });
      return void res.end(refusal.body);
    }
    // Gone while it was checked: a session opened now would never be used.
    if (req.socket.destroyed) return;
    const remote = clientAddress(req);
    // Counted in the same turn the session opens: requests racing in cannot slip past the limit.
    if (!addresses.mayOpen(remote)) return sendJson(res, TOO_MANY.status, TOO_MANY_BODY, TOO_MANY.headers);
    const transport = sessions.open(kind, req, res, remote, owner);
    route.accept(transport, req, endpoint);
  }

  /**
   * Completes an upgrade the endpoint did not refuse. Nothing made here
   * outlives the call but the transport: no listener closes over the
   * request, its URL or `head`, so they are collected once the dialect has
   * read what it needs.
   */
  function upgrade(req: IncomingMessage, socket: Socket, head: Buffer, url: URL, remote: string, owner: string, route: EndpointRoute, refusal: HttpRefusal | null): void {
    if (refusal) return refuseUpgrade(socket, refusal);
    // Checked in the turn the upgrade completes (handleUpgrade calls back synchronously): concurrent upgrades cannot slip past the limit.
    if (!addresses.mayOpen(remote)) return refuseUpgrade(socket, TOO_MANY);
    // ws calls back synchronously, or never (a bad handshake it answered itself).
    const accepted: TransportSocket[] = [];
    wss.handleUpgrade(req, socket, head, (ws) => accepted.push(ws));
    const ws = accepted[0];
    if (!ws) return;
    // From here ws destroys the socket on an error itself: a second listener would cost every socket a listener array.
    socket.removeListener("error", destroySocket);
    forgetPeer(socket);
    const transport = new WsTransport(ws, socket, remote, wsSettings);
    opened(transport, owner);
    route.accept(transport, req, url);
  }

  server.on("upgrade", (req: IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on("error", destroySocket);
    const remote = intern(decideClientAddress(req, trusted));
    const url = parseTarget(req);
    if (!url) return refuseUpgrade(socket, { status: 400, body: JSON.stringify(BAD_TARGET) });
    const found = routes.find(({ route }) => route.kind === "endpoint" && serves(route, "websocket") && route.match(url.pathname));
    const route = found?.route.kind === "endpoint" ? found.route : undefined;
    if (!found || !route) return refuseUpgrade(socket, { status: 404, body: JSON.stringify({ code: 404, reason: "not found" }) });
    if (!opts.isReady()) return refuseUpgrade(socket, { status: 503, body: JSON.stringify({ code: 503, reason: "draining" }) });
    const refusing = route.refuse?.(req, url) ?? null;
    // Most endpoints refuse nothing, or decide at once: no promise (and no closure holding the request) for them.
    const failed = (err: unknown) => {
      log.error({ err, path: url.pathname }, "upgrade failed");
      socket.destroy();
    };
    if (refusing instanceof Promise) {
      refusing.then((refusal) => upgrade(req, socket, head, url, remote, found.owner, route, refusal)).catch(failed);
      return;
    }
    // An endpoint's constructor that throws costs its socket, never the process.
    try {
      upgrade(req, socket, head, url, remote, found.owner, route, refusing);
    } catch (err) {
      failed(err);
    }
  });

  server.on("clientError", answerClientError);
  return { server, connections, sessions, countsByDialect: () => Object.fromEntries(counts) };
}
