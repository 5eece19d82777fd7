#!/usr/bin/env node
import { takeFlags, tokenCreate, userAdd } from "./cli/admin.js";
import { clusterStatus } from "./cli/cluster.js";
import { ConfigError, loadConfig } from "./config/load.js";
import { createLogger } from "./observability/log.js";
import { startServer } from "./server.js";

const HELP = `switchboard — one realtime messaging server, five wire protocols

Usage:
  switchboard start [options]                      run the server
  switchboard user add <name> [--password <p>] [--mail <m>] [options]
                                                   register an account (password from
                                                   --password, $SWITCHBOARD_PASSWORD or stdin)
  switchboard token create <name> [--ttl <sec>] [options]
                                                   print an access token for an account
  switchboard cluster status --broker <redis://…>  list the fleet's live nodes
  switchboard --help                               this text

Options (flags > SWITCHBOARD_* environment > config file > defaults):
  --port <n>            port to listen on (default 4040; env SWITCHBOARD_PORT)
  --host <addr>         address to bind (default 0.0.0.0; env SWITCHBOARD_HOST)
  --data <dir>          data folder, holds the SQLite file (default ./data; env SWITCHBOARD_DATA)
  --store <url>         postgres://user:pass@host:5432/db (default: SQLite in the data folder; env SWITCHBOARD_STORE)
  --broker <url>        redis://host:6379 for a fleet (default: in-process; env SWITCHBOARD_BROKER)
  --node-id <name>      this node's name in the fleet (default hostname:port; env SWITCHBOARD_NODE_ID)
  --log-level <level>   fatal|error|warn|info|debug|trace|silent (env SWITCHBOARD_LOG_LEVEL)
  --config <file>       JSON config file (env SWITCHBOARD_CONFIG; default ./switchboard.json if present)
  --set <key.path=val>  any other setting, e.g. --set instalk.idleMs=30000
                        (env form: SWITCHBOARD_INSTALK__IDLE_MS=30000)

Endpoints (one port):
  /websocket            instalk (WebSocket)
  /relay?key=<key>      relay (WebSocket)
  /v0.1/socket          really (WebSocket)
  /pubsub               pubsub (WebSocket)
  /push, /pull, /fuse   fuse (HTTP comet, SSE, WebSocket)
  /auth/*, /api/*       accounts, access tokens, session keys (HTTP JSON)
  /api/cluster, /api/config   the fleet's nodes and live settings (Bearer admin key)
  /healthz, /readyz, /metrics
`;

async function start(argv: string[]): Promise<void> {
  const config = loadConfig(argv);
  const log = createLogger(config.logLevel);
  const server = await startServer(config, log);
  // A promise nobody awaited failed: a bug to fix, but one request's failure must not take every client down with it.
  process.on("unhandledRejection", (err: unknown) => log.error({ err }, "unhandled rejection"));
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) return;
    signalled = true;
    log.info({ signal }, "draining");
    const force = setTimeout(() => {
      log.error("drain took too long; exiting");
      process.exit(1);
    }, config.drainMs);
    force.unref();
    server.stop().then(
      () => {
        log.flush();
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err }, "drain failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    process.stdout.write(HELP);
    return;
  }
  if (command === "start") return start(rest);
  if ((command === "user" && rest[0] === "add") || (command === "token" && rest[0] === "create")) {
    const { own, rest: settings, positional } = takeFlags(rest.slice(1), ["password", "mail", "ttl"]);
    const name = positional[0];
    if (!name) throw new ConfigError(`usage: switchboard ${command} ${rest[0]} <name>`);
    // $SWITCHBOARD_PASSWORD is the new account's password, not a setting: the strict config schema would refuse it.
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => key !== "SWITCHBOARD_PASSWORD"));
    const config = loadConfig(settings, env);
    process.stdout.write(`${command === "user" ? await userAdd(config, name, own) : await tokenCreate(config, name, own)}\n`);
    return;
  }
  if (command === "cluster" && rest[0] === "status") {
    process.stdout.write(`${await clusterStatus(loadConfig(rest.slice(1)))}\n`);
    return;
  }
  process.stderr.write(`unknown command: ${command}\n\n${HELP}`);
  process.exitCode = 2;
}

main(process.argv.slice(2)).catch((err: unknown) => {
  const known = err instanceof ConfigError || (err instanceof Error && /^(cannot add user|no such user|--ttl|cluster status needs)/.test(err.message));
  process.stderr.write(`${known ? (err as Error).message : (err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
