import type { AddressInfo } from "node:net";
import type { Config } from "./config/schema.js";
import { tokenSecrets } from "./config/secret.js";
import { Core } from "./core/core.js";
import { apis } from "./api/registry.js";
import { dialects } from "./dialects/registry.js";
import type { Dialect } from "./dialects/types.js";
import { openBroker } from "./engine/broker/open.js";
import { openStore } from "./engine/store/open.js";
import { createLogger, type Logger } from "./observability/log.js";
import { Metrics } from "./observability/metrics.js";
import { createHttpTransport } from "./transport/http-server.js";
import { TimerWheel } from "./transport/timer-wheel.js";

export interface RunningServer {
  readonly port: number;
  readonly config: Config;
  readonly core: Core;
  readonly log: Logger;
  /** Stop accepting, say goodbye to every client, flush and close the store. */
  stop(): Promise<void>;
}

const CLOSE_WAIT_MS = 2000;

export async function startServer(config: Config, log: Logger = createLogger(config.logLevel)): Promise<RunningServer> {
  const secrets = tokenSecrets(config);
  const store = await openStore(config);
  const broker = await openBroker(config);
  const core = new Core(store, broker, { secrets, config });
  await core.start();

  const metrics = new Metrics();
  const wheel = new TimerWheel();
  metrics.watchTimers(() => wheel.pending);
  const ctx = { core, config, log, metrics, wheel };
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
  });
  const { server, connections } = transport;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  ready = true;
  const port = (server.address() as AddressInfo).port;
  log.info({ port, data: config.data, store: store.kind, broker: config.broker.kind, dialects: speakers.map((d) => d.name) }, "switchboard listening");

  let stopping: Promise<void> | null = null;
  async function stop(): Promise<void> {
    ready = false;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    await Promise.allSettled(speakers.map((d) => d.drain?.()));
    for (const conn of connections) conn.close(1001, "server shutting down");
    const deadline = Date.now() + CLOSE_WAIT_MS;
    while (connections.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const conn of connections) conn.terminate();
    server.closeAllConnections();
    await closed;
    wheel.stop();
    await store.flush();
    await broker.close();
    await store.close();
    log.info("switchboard stopped");
  }

  return { port, config, core, log, stop: () => (stopping ??= stop()) };
}
