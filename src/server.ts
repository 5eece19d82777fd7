import type { AddressInfo } from "node:net";
import { hostname } from "node:os";
import { resolveSecrets } from "./config/fleet-secrets.js";
import { assignInPlace, withSettings } from "./config/live.js";
import type { Config } from "./config/schema.js";
import { tokenSecrets } from "./config/secret.js";
import { randomId } from "./core/identity.js";
import type { JsonObject } from "./core/json.js";
import { Core } from "./core/core.js";
import { onAdminKeyFailure } from "./api/admin-guard.js";
import { provideRates } from "./api/admin-stats.js";
import { apis } from "./api/registry.js";
import { Clients } from "./connection/clients.js";
import { HttpFleet } from "./connection/http-fleet.js";
import { dialects } from "./dialects/registry.js";
import type { Dialect } from "./dialects/types.js";
import { NodeLiveness } from "./engine/broker/liveness.js";
import { openBroker } from "./engine/broker/open.js";
import type { Broker } from "./engine/broker/types.js";
import { openStore, redactUrl } from "./engine/store/open.js";
import { createLogger, type Logger } from "./observability/log.js";
import { Metrics } from "./observability/metrics.js";
import { RateSampler } from "./observability/rates.js";
import { createHttpTransport } from "./transport/http-server.js";
import { createMetricsServer } from "./transport/metrics-endpoint.js";
import { TimerWheel } from "./transport/timer-wheel.js";

export interface RunningServer {
  readonly port: number;
  readonly config: Config;
  readonly core: Core;
  readonly log: Logger;
  /** Stop accepting, say goodbye to every client, flush and close the store. */
  stop(): Promise<void>;
}

/** How long shutdown waits at most for transports the connections left (a stalled reader's close handshake). */
const CLOSE_WAIT_MS = 2000;
/**
 * The share of `drainMs` the waits for clients may take: the rest is for
 * leaving the fleet, flushing and closing the store, so a short `drainMs`
 * cuts the waits short instead of making the process exit 1.
 */
const CLIENT_SHARE = 0.6;

/** hostname:port by default: stable across restarts, so a restarted node clears what its earlier self left. */
function nodeIdOf(config: Config): string {
  if (config.nodeId) return config.nodeId;
  return `${hostname()}:${config.port === 0 ? `p${randomId(6)}` : config.port}`;
}

export interface ServerParts {
  /** A broker made by the caller (tests: several in-process nodes on one `LocalNetwork`); default: from the config. */
  broker?: (nodeId: string) => Broker;
}

export async function startServer(config: Config, log: Logger = createLogger(config.logLevel), parts: ServerParts = {}): Promise<RunningServer> {
  // First: the store and broker report their commits and publishes to it from the start.
  const metrics = new Metrics();
  const store = await openStore(config, { observer: metrics.engine });
  const { newAdminKey } = await resolveSecrets(config, store.kv);
  if (newAdminKey) {
    // The key itself never goes through the logs. One node keeps it in its data folder; a fleet's is shown once.
    if (config.broker.url) process.stderr.write(`switchboard: generated the fleet's admin key (keep it; it is not shown again): ${newAdminKey}\n`);
    else log.info({ file: `${config.data}/admin.key` }, "generated the admin key");
  }
  const secrets = tokenSecrets(config);
  const nodeId = nodeIdOf(config);
  const broker = parts.broker ? parts.broker(nodeId) : await openBroker(config, nodeId, { log: (msg: string, err?: unknown) => log.warn({ err }, msg), observer: metrics.engine });
  const core = new Core(store, broker, { secrets, config, observers: { hub: metrics.hub, onAuthFailure: metrics.authFailed } });
  onAdminKeyFailure(config, metrics.authFailed);
  await core.start();
  // Live settings (PATCH /api/config on any node) apply here too, and a node starting later picks them up.
  const base = structuredClone(config);
  const applySettings = (settings: JsonObject) => {
    const next = withSettings(base, settings);
    if (!next.ok) return log.warn({ errors: next.errors }, "live settings refused");
    assignInPlace(config as unknown as JsonObject, next.config as unknown as JsonObject);
    log.level = config.logLevel;
    log.info({ keys: Object.keys(settings) }, "live settings applied");
  };
  broker.settings.watch(applySettings);
  const initial = await broker.settings.get();
  if (Object.keys(initial).length > 0) applySettings(initial);

  const wheel = new TimerWheel();
  metrics.watchTimers(() => wheel.pending);
  const clients = new Clients(core, config, log, metrics, wheel);
  const ctx = { core, config, log, metrics, wheel, clients };
  const speakers: Dialect[] = dialects.map((make) => make(ctx));
  let ready = false;
  const transport = createHttpTransport({
    routes: [
      ...apis.flatMap((make) => make({ core, config, log }).map((route) => ({ owner: "api", route }))),
      ...speakers.flatMap((d) => d.routes.map((route) => ({ owner: d.name, route }))),
    ],
    maxPayload: Math.max(config.limits.maxFrameBytes * 16, 1024 * 1024),
    maxQueueBytes: config.limits.maxQueueBytes,
    log,
    metrics,
    isReady: () => ready,
    unavailable: () => (!store.healthy() ? "store unreachable" : !broker.healthy() ? "broker unreachable" : null),
    trustedProxies: config.trustedProxies,
    nodeId,
    wheel,
    limits: () => config.limits,
    metricsEndpoint: { here: config.metrics.port === 0, token: () => config.metrics.token },
  });
  const { server, connections } = transport;
  // An idle keep-alive connection stays open fuse.keepAliveMs (Node's default closes it after 5 s): fuse's C#
  // client sends a whole game's pushes on one socket and fails once it is closed under it. Node times headers
  // and requests from their first byte, never across the idle wait, so those limits stay what they were (headers
  // within 60 s, a whole request within 300 s; headersTimeout must not exceed requestTimeout).
  server.keepAliveTimeout = config.fuse.keepAliveMs;
  server.headersTimeout = 60_000;
  server.requestTimeout = 300_000;
  // HTTP sessions in a fleet: requests that reach another node are carried to the session's node over the broker.
  transport.sessions.forwarder = new HttpFleet(core, log, transport.sessions);
  // Read at every use: poll/SSE timings and CORS origins follow the configuration.
  transport.sessions.settings = () => config.transports;

  // Before accepting anyone: starting clears what an earlier process with this node id left behind.
  let port = config.port;
  const started = Date.now();
  const liveness = new NodeLiveness(broker, {
    self: () => ({ id: nodeId, address: `${config.host === "0.0.0.0" ? hostname() : config.host}:${port}`, started, connections: transport.countsByDialect() }),
    heartbeatMs: config.cluster.heartbeatMs,
    deadAfterMs: config.cluster.deadAfterMs,
    onDepartures: (departures) => core.presence.departed(departures),
    onEvicted: () => core.presenceLedger.reassert(),
    log: (msg, err) => log.warn({ err }, msg),
  });
  await liveness.start();
  // A broker back from an outage may have lost presence (Redis keeps nothing on disk): put this node's back.
  broker.onReconnect(() => void core.presenceLedger.reassert().catch((err: unknown) => log.warn({ err }, "restoring presence failed")));

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  // /metrics on a port of its own (metrics.port), e.g. one only the monitoring network reaches.
  const metricsServer = config.metrics.port === 0 ? null : createMetricsServer(metrics.registry, () => config.metrics.token, (err) => log.error({ err }, "metrics failed"));
  if (metricsServer) {
    await new Promise<void>((resolve, reject) => {
      metricsServer.once("error", reject);
      metricsServer.listen(config.metrics.port, config.metrics.host || config.host, () => {
        metricsServer.off("error", reject);
        resolve();
      });
    }).catch(async (err: unknown) => {
      // The main port is not left listening by a start that failed.
      await new Promise((r) => server.close(r));
      throw err;
    });
  }
  ready = true;
  // The dashboard's messages per second; the sampler's timer ends with the HTTP server.
  const rates = new RateSampler(metrics);
  provideRates(core, () => rates.rates());
  server.once("close", () => rates.stop());
  log.info(
    {
      port,
      node: nodeId,
      data: config.data,
      store: store.kind,
      storeUrl: config.store.url ? redactUrl(config.store.url) : undefined,
      broker: config.broker.url ? redactUrl(config.broker.url) : "in-process",
      dialects: speakers.map((d) => d.name),
    },
    "switchboard listening",
  );

  let stopping: Promise<void> | null = null;
  async function stop(): Promise<void> {
    ready = false;
    // Every wait for clients ends by then, whatever they do: the rest of drainMs is for the store.
    const clientsBy = Date.now() + config.drainMs * CLIENT_SHARE;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    metricsServer?.close();
    metricsServer?.closeAllConnections();
    await Promise.allSettled([clients.drain(clientsBy), ...speakers.map((d) => d.drain?.())]);
    for (const conn of connections) conn.close(1001, "server shutting down");
    const deadline = Math.min(Date.now() + CLOSE_WAIT_MS, clientsBy);
    while (connections.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const conn of connections) conn.terminate();
    server.closeAllConnections();
    await closed;
    wheel.stop();
    // Whatever presence this node still holds goes now, announced, instead of when the fleet notices it is gone.
    await liveness.leave().catch((err: unknown) => log.warn({ err }, "leaving the fleet failed"));
    core.stop();
    await store.flush();
    await broker.close();
    await store.close();
    log.info("switchboard stopped");
  }

  return { port, config, core, log, stop: () => (stopping ??= stop()) };
}
