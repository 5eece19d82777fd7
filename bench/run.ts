// npm run bench: fan-out throughput and idle memory of Switchboard against the
// raw `ws` baselines and Socket.IO, measured in one run so the ratios compare
// like with like. Loopback only; every server runs in a child process of its own.
// `--scenario durable` measures stored-message throughput instead (durable.ts);
// `--scenario cluster` one node against a fleet on Redis (cluster.ts);
// `--scenario idle` memory per joined idle connection (idle-scenario.ts);
// `--scenario join` time to bring N clients into one room (join.ts);
// `--scenario latency` publish-to-delivery times at fixed rates (latency.ts).
import { mkdir, writeFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import { freePort, type ServerChild } from "./child.js";
import { cluster } from "./cluster.js";
import { socketIo, switchboard, wsBatched, wsNaive, type Contestant } from "./contestants.js";
import { durable } from "./durable.js";
import { fanout } from "./fanout.js";
import { idle } from "./idle.js";
import { idleScenario } from "./idle-scenario.js";
import { installed } from "./installed.js";
import { join } from "./join.js";
import { latency } from "./latency.js";
import { machine } from "./machine.js";
import { parseOptions, type BenchOptions } from "./options.js";
import { table, type Row } from "./report.js";

/** Starts a fresh server for `measure`, so one measurement's garbage never weighs on the next. */
async function withServer<T>(c: Contestant, measure: (server: ServerChild) => Promise<T>): Promise<T> {
  const server = await c.start(await freePort());
  try {
    return await measure(server);
  } finally {
    await server.stop();
  }
}

/** The options this scenario used: the durable scenario's own stay out of its results. */
function fanoutOptions(opts: BenchOptions) {
  const { clients, messages, idle: idleCount, capSeconds, only, quick } = opts;
  return { clients, messages, idle: idleCount, capSeconds, only, quick };
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  if (!opts) return;
  if (opts.scenario === "durable") return durable(opts);
  if (opts.scenario === "cluster") return cluster(opts);
  if (opts.scenario === "idle") return idleScenario(opts);
  if (opts.scenario === "join") return join(opts);
  if (opts.scenario === "latency") return latency(opts);
  const haveSocketIo = installed("socket.io");
  if (!haveSocketIo) process.stdout.write("socket.io is not installed: skipping it (npm install -D socket.io)\n");
  const all = [wsNaive, wsBatched, switchboard, ...(haveSocketIo ? [socketIo] : [])];
  const contestants = opts.only.length > 0 ? all.filter((c) => opts.only.includes(c.key)) : all;
  process.stdout.write(
    `fan-out: ${opts.clients} clients × ${opts.messages} messages (cap ${opts.capSeconds}s); idle: ${opts.idle} connections\n`,
  );

  // Clients and server share this machine's cores with whatever else runs: say so when that is a lot.
  const loadBefore = loadavg()[0];
  if (loadBefore > cpus().length / 2) {
    process.stdout.write(`note: load average ${loadBefore.toFixed(1)} on ${cpus().length} cores; wall-clock rates will be low, CPU-second rates hold better\n`);
  }

  const rows: Row[] = [];
  for (const c of contestants) {
    const row: Row = { key: c.key, label: c.label, fanout: null, idle: null };
    rows.push(row);
    try {
      process.stdout.write(`${c.label}: fan-out… `);
      row.fanout = await withServer(c, (server) => fanout(c, server, opts));
      process.stdout.write(`${Math.round(row.fanout.perSecond).toLocaleString("en-US")}/s; idle… `);
      row.idle = await withServer(c, (server) => idle(c, server, opts.idle));
      process.stdout.write(`${row.idle.kibPerConnection.toFixed(1)} KiB/conn\n`);
    } catch (err) {
      row.error = err instanceof Error ? err.message : String(err);
      process.stdout.write(`failed: ${row.error}\n`);
    }
  }

  process.stdout.write(`\n${table(rows)}\n`);
  await mkdir("bench/results", { recursive: true });
  await writeFile("bench/results/latest.json", `${JSON.stringify({ date: new Date().toISOString(), machine: machine(loadBefore), options: fanoutOptions(opts), results: rows }, null, 2)}\n`);
  process.stdout.write("\nwritten to bench/results/latest.json\n");
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
