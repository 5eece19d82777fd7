// npm run bench -- --scenario durable: how many messages a second Switchboard
// stores and acknowledges, on SQLite and (when reachable) PostgreSQL, next to
// how fast the same database takes rows of the same shape with no server in the
// way. The ratio is the price of everything between the socket and the commit.
// Loopback only; the server runs in a child process; every measurement is bounded.
import { mkdir, writeFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { redactUrl } from "../src/engine/redact.js";
import { freePort, spawnServer, type ServerChild } from "./child.js";
import { startSwitchboard } from "./contestants.js";
import { machine } from "./machine.js";
import type { BenchOptions } from "./options.js";
import { createBenchDatabase } from "./pg-database.js";
import { rawPostgres, rawSqlite, type RawInsertResult } from "./raw-insert.js";
import { measureSenders, type SendersResult } from "./senders.js";
import { machineNote } from "./common.js";
import { barChart } from "./plot.js";
import { PROFILED_STOP_MS, ProfileRun } from "./profiling.js";

export interface DurableRow extends SendersResult {
  /** Stored msgs/s over the raw insert rate of the same database. */
  ofRaw: number | null;
}

export interface DurableBackend {
  store: "sqlite" | "postgres";
  raw: RawInsertResult | null;
  runs: DurableRow[];
  skipped?: string;
  error?: string;
}

const RESULTS = "bench/results/durable.json";

const num = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const say = (line: string) => process.stdout.write(line);

/** Every sender count against one server; a failed count is reported and the next one still runs. */
async function measureAll(backend: DurableBackend, opts: BenchOptions, env: NodeJS.ProcessEnv): Promise<void> {
  // --profile: the server writes a CPU profile as it exits; each sender count's window is marked in the manifest.
  const run = opts.profile ? await ProfileRun.create(opts.profile, "durable", backend.store, false) : null;
  const server: ServerChild = await startSwitchboard(await freePort(), env, run ? { nodeFlags: run.nodeFlags(true), stopTimeoutMs: PROFILED_STOP_MS } : {});
  try {
    for (const n of opts.senders) {
      say(`${backend.store}: ${n} senders × ${opts.inFlight} in flight, ${opts.seconds}s… `);
      const t0 = performance.now();
      const r = await measureSenders(server, `durable-${n}`, n, opts.inFlight, opts.seconds);
      run?.window(server, `${n} senders (connect, warm-up, window, drain)`, t0, performance.now());
      backend.runs.push({ ...r, ofRaw: null });
      say(`${num(r.perSecond)} msgs/s (p50 ${num(r.p50Ms, 1)} ms, p99 ${num(r.p99Ms, 1)} ms)${r.errors ? `, ${r.errors} errors` : ""}${r.consistent ? "" : ", INCONSISTENT nr"}\n`);
    }
  } finally {
    await server.stop();
    if (run) {
      run.manifest.note = `senders ${opts.senders.join(", ")} × ${opts.inFlight} in flight, ${opts.seconds} s each`;
      await run.save();
    }
  }
}

/**
 * The same senders against bench/servers/ws-echo.ts: the WebSocket round trip,
 * the parse and the echo's rendering, with no store and no checks. Its server
 * CPU per message plus the raw insert's time per row is what a server doing
 * nothing else would spend on one core: the floor the ratio can reach.
 */
async function echoFloor(opts: BenchOptions): Promise<SendersResult[]> {
  const port = await freePort();
  const server = await spawnServer(["--import", "tsx", "bench/servers/ws-echo.ts", String(port)], port);
  const runs: SendersResult[] = [];
  try {
    for (const n of opts.senders) {
      say(`ws echo (no store): ${n} senders × ${opts.inFlight} in flight, ${opts.seconds}s… `);
      const r = await measureSenders(server, `echo-${n}`, n, opts.inFlight, opts.seconds);
      runs.push(r);
      say(`${num(r.perSecond)} msgs/s, ${num(usPerMessage(r), 1)} µs server CPU each\n`);
    }
  } finally {
    await server.stop();
  }
  return runs;
}

const usPerMessage = (r: SendersResult) => (r.acked > 0 ? (r.serverCpuSeconds / r.acked) * 1e6 : Number.NaN);

async function sqliteBackend(opts: BenchOptions): Promise<DurableBackend> {
  const backend: DurableBackend = { store: "sqlite", raw: null, runs: [] };
  try {
    await measureAll(backend, opts, {});
    say(`sqlite: raw insert, ${opts.seconds}s… `);
    backend.raw = await rawSqlite(opts.seconds);
    say(`${num(backend.raw.rowsPerSecond)} rows/s\n`);
  } catch (err) {
    backend.error = err instanceof Error ? err.message : String(err);
    say(`failed: ${backend.error}\n`);
  }
  return backend;
}

async function postgresBackend(opts: BenchOptions): Promise<DurableBackend> {
  const backend: DurableBackend = { store: "postgres", raw: null, runs: [] };
  const db = await createBenchDatabase(opts.pg);
  if ("unreachable" in db) {
    backend.skipped = `PostgreSQL not reachable at ${redactUrl(opts.pg)} (${db.unreachable})`;
    say(`postgres: skipped — ${backend.skipped}\n`);
    return backend;
  }
  try {
    // Through the environment: the URL may carry a password, and argv is public.
    await measureAll(backend, opts, { SWITCHBOARD_STORE: db.url });
    say(`postgres: raw insert, ${opts.seconds}s… `);
    backend.raw = await rawPostgres(db.url, opts.seconds);
    say(`${num(backend.raw.rowsPerSecond)} rows/s\n`);
  } catch (err) {
    // pg and the server name host and port at most; the URL never goes into a message unredacted.
    backend.error = (err instanceof Error ? err.message : String(err)).replaceAll(db.url, redactUrl(db.url));
    say(`failed: ${backend.error}\n`);
  } finally {
    await db.drop().catch((err: unknown) => say(`postgres: could not drop the bench database: ${String(err)}\n`));
  }
  return backend;
}

function table(backends: DurableBackend[], echo: SendersResult[]): string {
  const header = ["store", "senders", "msgs/s", "p50 ms", "p99 ms", "server CPU s", "µs/msg", "raw rows/s", "raw µs/row", "of raw"];
  const lines: string[][] = [];
  for (const b of backends) {
    if (b.skipped) lines.push([b.store, "-", "skipped", ...header.slice(3).map(() => "")]);
    for (const r of b.runs) {
      lines.push([
        b.store, String(r.senders), `${num(r.perSecond)}${r.consistent ? "" : " (!)"}`, num(r.p50Ms, 1), num(r.p99Ms, 1),
        num(r.serverCpuSeconds, 2), r.acked > 0 ? num(usPerMessage(r), 1) : "-",
        b.raw ? num(b.raw.rowsPerSecond) : "-", b.raw ? num(1e6 / b.raw.rowsPerSecond, 1) : "-", r.ofRaw === null ? "-" : `${num(r.ofRaw * 100, 1)}%`,
      ]);
    }
  }
  const sqliteRaw = backends.find((b) => b.store === "sqlite")?.raw ?? null;
  for (const r of echo) {
    lines.push([
      "ws echo (no store)", String(r.senders), num(r.perSecond), num(r.p50Ms, 1), num(r.p99Ms, 1), num(r.serverCpuSeconds, 2), num(usPerMessage(r), 1),
      sqliteRaw ? num(sqliteRaw.rowsPerSecond) : "-", sqliteRaw ? num(1e6 / sqliteRaw.rowsPerSecond, 1) : "-",
      sqliteRaw ? `${num((r.perSecond / sqliteRaw.rowsPerSecond) * 100, 1)}%` : "-",
    ]);
  }
  const widths = header.map((h, col) => Math.max(h.length, ...lines.map((l) => l[col].length)));
  const format = (cells: string[]) => cells.map((c, col) => (col === 0 ? c.padEnd(widths[col]) : c.padStart(widths[col]))).join("  ");
  const out = [format(header), widths.map((w) => "-".repeat(w)).join("  "), ...lines.map(format)];
  for (const b of backends) if (b.error) out.push(`${b.store}: ${b.error}`);
  return out.join("\n");
}

/**
 * What one core could reach if it did the echo server's work and the raw
 * insert's, nothing else: the best ratio any server of this shape could show
 * on this machine (the least echo cost measured, the raw insert's time per row).
 */
function oneCoreFloor(backends: DurableBackend[], echo: SendersResult[]): string | null {
  const raw = backends.find((b) => b.store === "sqlite")?.raw;
  const costs = echo.map(usPerMessage).filter(Number.isFinite);
  if (!raw || costs.length === 0) return null;
  const echoUs = Math.min(...costs);
  const rawUs = 1e6 / raw.rowsPerSecond;
  const best = 1e6 / (echoUs + rawUs);
  return `one core doing only the echo (${num(echoUs, 1)} µs) and the raw insert (${num(rawUs, 1)} µs): at most ${num(best)} msgs/s = ${num((best / raw.rowsPerSecond) * 100, 1)}% of the raw insert rate (goal: 70%)`;
}

export async function durable(opts: BenchOptions): Promise<void> {
  say(`durable: senders ${opts.senders.join(", ")} × ${opts.inFlight} in flight, ${opts.seconds}s each; raw inserts ${opts.seconds}s\n`);
  const loadBefore = loadavg()[0];
  if (loadBefore > cpus().length / 2) {
    say(`note: load average ${loadBefore.toFixed(1)} on ${cpus().length} cores; server, clients and database share them\n`);
  }
  const backends = [await sqliteBackend(opts), await postgresBackend(opts)];
  for (const b of backends) {
    for (const r of b.runs) r.ofRaw = b.raw ? r.perSecond / b.raw.rowsPerSecond : null;
  }
  const echo = await echoFloor(opts).catch((err: unknown) => {
    say(`ws echo: failed: ${err instanceof Error ? err.message : String(err)}\n`);
    return [];
  });
  say(`\n${table(backends, echo)}\n`);
  const floor = oneCoreFloor(backends, echo);
  if (floor) say(`\n${floor}\n`);
  const options = { senders: opts.senders, inFlight: opts.inFlight, seconds: opts.seconds, pg: redactUrl(opts.pg) };
  await mkdir("bench/results", { recursive: true });
  await writeFile(RESULTS, `${JSON.stringify({ date: new Date().toISOString(), machine: machine(loadBefore), options, results: backends, echo }, null, 2)}\n`);
  const measured = backends.filter((b) => b.runs.length > 0);
  const svg = barChart({
    title: "Stored and echoed instalk messages per second, against the database alone",
    unit: "messages (rows) per second",
    categories: measured.map((b) => b.store),
    series: [
      ...opts.senders.map((n) => ({
        name: `${n} senders`,
        values: measured.map((b) => b.runs.find((r) => r.senders === n)?.perSecond ?? null),
        labels: measured.map((b) => {
          const r = b.runs.find((x) => x.senders === n);
          return r ? `${Math.round(r.perSecond / 1000)}k${r.ofRaw === null ? "" : `\n${num(r.ofRaw, 2)}×`}` : null;
        }),
      })),
      { name: "database alone", values: measured.map((b) => b.raw?.rowsPerSecond ?? null) },
    ],
    note: machineNote(loadBefore),
  });
  await writeFile("bench/results/durable.svg", svg);
  say(`\nwritten to ${RESULTS} and bench/results/durable.svg\n`);
}
