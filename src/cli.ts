#!/usr/bin/env node
import { readStdinLine, takeFlags, tokenCreate, userAdd } from "./cli/admin.js";
import { clusterStatus } from "./cli/cluster.js";
import { ADMIN_KEY_ENV, CommandError, kick, publish, remoteArgs, remoteTokenCreate, remoteUserAdd, stats, userList } from "./cli/remote.js";
import { ConfigError, loadConfig } from "./config/load.js";
import { createLogger } from "./observability/log.js";
import { startServer } from "./server.js";

const HELP = `switchboard — one realtime messaging server, five wire protocols

Usage:
  switchboard start [options]                      run the server
  switchboard user add <name> [--password <p>] [--mail <m>] [options | --url <u>]
                                                   register an account (password from
                                                   --password, $SWITCHBOARD_PASSWORD or stdin)
  switchboard user list [--search <text>] --url <u>
                                                   accounts in name order; --search keeps names
                                                   or mails containing it (any case), or that id
  switchboard token create <name> [--ttl <sec>] [options | --url <u>]
                                                   print an access token for an account
  switchboard kick <room> <user id> [--ban] [--message <text>] --url <u>
                                                   kick (and ban) a user from a room
  switchboard publish <room> <text> [--as <user id>] --url <u>
  switchboard publish --topic <topic> <json> [--as <user id>] --url <u>
                                                   post into a room or pubsub topic as the
                                                   system (or on behalf of a user)
  switchboard stats [--json] --url <u>             nodes, connections, memory of a running server
  switchboard cluster status --broker <redis://…>  list the fleet's live nodes
  switchboard --help                               this text

Admin commands and a running server:
  --url <http://host:port>   talk to that server's admin API instead of opening the
                             data folder (user list, kick, publish and stats always do)
  --admin-key <key>          its admin key; better: $SWITCHBOARD_ADMIN_KEY (not shown by ps)

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
  /api/admin/*, /api/cluster, /api/config   the operator's API (Bearer admin key)
  /api/openapi.json     the HTTP API as OpenAPI 3.1
  /admin                the admin dashboard (sign in with the admin key)
  /healthz, /readyz, /metrics
`;

/**
 * The environment without the variables that belong to commands rather than
 * to the server's settings: the strict config schema would refuse them.
 */
function settingsEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => key !== "SWITCHBOARD_PASSWORD" && key !== ADMIN_KEY_ENV));
}

async function start(argv: string[]): Promise<void> {
  const config = loadConfig(argv, settingsEnv());
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
    const args = rest.slice(1);
    // With --url the running server does it through its admin API; without, the data folder is opened directly.
    if (args.some((a) => a === "--url" || a.startsWith("--url="))) return print(await remoteAccountCommand(command, args));
    const { own, rest: settings, positional } = takeFlags(args, ["password", "mail", "ttl"]);
    const name = positional[0];
    if (!name) throw new ConfigError(`usage: switchboard ${command} ${rest[0]} <name>`);
    const config = loadConfig(settings, settingsEnv());
    return print(command === "user" ? await userAdd(config, name, own) : await tokenCreate(config, name, own));
  }
  if (command === "user" && rest[0] === "list") {
    const args = remoteArgs(rest.slice(1), { search: { type: "string" } });
    if (args.positionals.length > 0) throw new CommandError("usage: switchboard user list [--search <text>] --url <u>");
    return print(await userList(args.remote(), args.string("search")));
  }
  if (command === "kick") {
    const args = remoteArgs(rest, { ban: { type: "boolean" }, message: { type: "string" } });
    const [room, user] = args.positionals;
    if (!room || !user || args.positionals.length > 2) throw new CommandError("usage: switchboard kick <room> <user id> [--ban] [--message <text>] --url <u>");
    return print(await kick(args.remote(), room, user, args.flag("ban"), args.string("message")));
  }
  if (command === "publish") {
    const args = remoteArgs(rest, { topic: { type: "string" }, as: { type: "string" } });
    const topic = args.string("topic");
    const [first, second] = args.positionals;
    const content = topic === undefined ? second : first;
    if (content === undefined || args.positionals.length !== (topic === undefined ? 2 : 1)) {
      throw new CommandError("usage: switchboard publish <room> <text> | --topic <topic> <json>  [--as <user id>] --url <u>");
    }
    return print(await publish(args.remote(), topic === undefined ? { room: first } : { topic }, content, args.string("as")));
  }
  if (command === "stats") {
    const args = remoteArgs(rest, { json: { type: "boolean" } });
    if (args.positionals.length > 0) throw new CommandError("usage: switchboard stats [--json] --url <u>");
    return print(await stats(args.remote(), args.flag("json")));
  }
  if (command === "cluster" && rest[0] === "status") {
    return print(await clusterStatus(loadConfig(rest.slice(1), settingsEnv())));
  }
  process.stderr.write(`unknown command: ${command}\n\n${HELP}`);
  process.exitCode = 2;
}

function print(text: string): void {
  process.stdout.write(`${text}\n`);
}

/** `user add` / `token create` with --url: the same output and refusals as on the data folder. */
async function remoteAccountCommand(command: "user" | "token", argv: string[]): Promise<string> {
  const args = remoteArgs(argv, command === "user" ? { password: { type: "string" }, mail: { type: "string" } } : { ttl: { type: "string" } });
  const [name, extra] = args.positionals;
  if (!name || extra !== undefined) throw new CommandError(`usage: switchboard ${command} ${command === "user" ? "add" : "create"} <name> --url <u>`);
  const remote = args.remote();
  if (command === "user") {
    const password = args.string("password") ?? process.env.SWITCHBOARD_PASSWORD ?? (await readStdinLine());
    return remoteUserAdd(remote, name, password, args.string("mail") ?? null);
  }
  const ttlText = args.string("ttl");
  const ttl = ttlText === undefined ? undefined : Number(ttlText);
  if (ttl !== undefined && !(Number.isInteger(ttl) && ttl > 0)) throw new CommandError("--ttl takes a whole number of seconds");
  return remoteTokenCreate(remote, name, ttl);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  const known = err instanceof ConfigError || err instanceof CommandError || (err instanceof Error && /^(cannot add user|no such user|--ttl|cluster status needs)/.test(err.message));
  process.stderr.write(`${known ? (err as Error).message : (err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
