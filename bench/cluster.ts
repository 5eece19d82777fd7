// npm run bench -- --scenario cluster: one node against a fleet, in one run.
// The same room of instalk receivers, spread round-robin over the nodes, gets
// messages at a fixed offered rate from a few senders; the receivers count
// deliveries, /proc gives every server process's CPU time. Every setup stores
// on a fresh PostgreSQL database, so the only differences are the broker
// (in-process or Redis) and the number of nodes. Loopback only, bounded.
import { mkdir, writeFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import pg from "pg";
import type { WebSocket } from "ws";
import { redactUrl } from "../src/engine/redact.js";
import type { ServerChild } from "./child.js";
import { closeAll, inParallel, open } from "./clients.js";
import { switchboard } from "./contestants.js";
import { redisBinary, startNodes, startRedis, type BenchRedis } from "./fleet.js";
import { machine } from "./machine.js";
import type { BenchOptions } from "./options.js";
import { createBenchDatabase, type BenchDatabase } from "./pg-database.js";
import { cpuSeconds, ownCpuSeconds } from "./proc.js";

interface Setup {
  key: string;
  label: string;
  nodes: number;
  redis: boolean;
}

export interface ClusterResult {
  setup: string;
  label: string;
  nodes: number;
  broker: "in-process" | "redis";
  receivers: number;
  senders: number;
  offeredPerSecond: number;
  /** Messages sent and deliveries counted at the receivers inside the measuring window. */
  sent: number;
  delivered: number;
  seconds: number;
  perSecond: number;
  /**
   * Deliveries in the window within 5% of the offered rate and p50 under 50 ms. A setup that fell
   * behind works through bigger batches, which costs less CPU per delivery: compare rows that kept up.
   */
  keptUp: boolean;
  /** After the window: every message sent (warm-up included) reached every receiver, once. */
  complete: boolean;
  /** Deliveries still missing after the drain (negative: more than expected, i.e. duplicates). */
  missing: number;
  errors: number;
  /** CPU of the Switchboard processes, summed, and each node's. */
  serverCpuSeconds: number;
  nodeCpuSeconds: number[];
  redisCpuSeconds: number | null;
  /** CPU of the PostgreSQL backends serving the bench database (only when PostgreSQL runs on this machine). */
  pgCpuSeconds: number | null;
  serverCpuUsPerDelivery: number;
  /** Server + Redis + PostgreSQL backends: everything the fleet burns for a delivery. */
  totalCpuUsPerDelivery: number;
  /** Send-to-receive time, sampled at one receiver per node. */
  latencyP50Ms: number;
  latencyP99Ms: number;
  clientCpuShare: number;
  startSeconds: number;
  joinSeconds: number;
  error?: string;
}

const RESULTS = "bench/results/cluster.json";
const DRAIN_MS = 5_000;
/** The pacer sends what is due every tick: messages arrive in bursts of rate × tick, the same shape for every setup. */
const TICK_MS = 20;
const MSG = Buffer.from('"o":"msg"');
const BODY_AT = '"body":"';

const say = (line: string) => process.stdout.write(line);
const num = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const percentile = (sorted: number[], p: number) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]);

/** PostgreSQL backends of the bench database, by pid: their CPU is part of the bill when the server is local. */
class PgBackends {
  private constructor(private readonly client: pg.Client | null) {}

  static async open(db: BenchDatabase): Promise<PgBackends> {
    // A pid only means something when PostgreSQL runs on this machine.
    if (!["127.0.0.1", "localhost", "[::1]"].includes(new URL(db.url).hostname)) return new PgBackends(null);
    const client = new pg.Client({ connectionString: db.url, connectionTimeoutMillis: 3_000 });
    client.on("error", () => undefined);
    await client.connect();
    return new PgBackends(client);
  }

  get local(): boolean {
    return this.client !== null;
  }

  /** CPU seconds so far of each backend serving the database, this watcher's own excluded. */
  async snapshot(): Promise<Map<number, number>> {
    const out = new Map<number, number>();
    if (!this.client) return out;
    const { rows } = await this.client.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()");
    for (const { pid } of rows) {
      try {
        out.set(pid, cpuSeconds(pid));
      } catch {
        // Gone between the query and the read.
      }
    }
    return out;
  }

  close(): Promise<void> {
    return this.client?.end().catch(() => undefined) ?? Promise.resolve();
  }
}

/** CPU used between two snapshots; a backend that appeared in between counts from zero. */
function cpuBetween(before: Map<number, number>, after: Map<number, number>): number {
  let sum = 0;
  for (const [pid, cpu] of after) sum += cpu - (before.get(pid) ?? 0);
  return sum;
}

/** The room's receivers: one counter for all, and send-to-receive samples from one receiver per node. */
class Receivers {
  delivered = 0;
  sampling = false;
  readonly latencies: number[] = [];

  constructor(sockets: WebSocket[], sampled: number) {
    sockets.forEach((ws, i) =>
      ws.on("message", (data: Buffer) => {
        if (!data.includes(MSG)) return;
        this.delivered++;
        if (i < sampled && this.sampling) {
          // The body starts with the send time (this process's clock), so the sample needs no clock sync.
          const text = data.toString("utf8");
          this.latencies.push(performance.now() - parseFloat(text.slice(text.indexOf(BODY_AT) + BODY_AT.length)));
        }
      }),
    );
  }
}

/** Sends at a fixed offered rate, round-robin over the senders; a late timer catches up, so the average holds. */
class Pacer {
  sent = 0;
  errors = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly senders: WebSocket[],
    private readonly room: string,
  ) {
    for (const ws of senders) ws.on("message", (data: Buffer) => void (data.includes('"error":') && this.errors++));
  }

  start(rate: number): void {
    const t0 = performance.now();
    this.timer = setInterval(() => {
      const due = Math.floor(((performance.now() - t0) / 1000) * rate);
      while (this.sent < due) {
        const body = `${performance.now().toFixed(3)} `.padEnd(100, "x");
        this.senders[this.sent % this.senders.length].send(JSON.stringify({ r: this.room, o: "msg", data: { body } }));
        this.sent++;
      }
    }, TICK_MS);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}

/** Opens and hand-shakes (init, join) `count` instalk sockets, socket i on node i mod nodes. */
function joinRoom(nodes: ServerChild[], count: number, room: string): Promise<WebSocket[]> {
  return inParallel(count, async (i) => {
    const ws = await open(`ws://127.0.0.1:${nodes[i % nodes.length].port}/websocket`);
    ws.on("error", () => undefined);
    await switchboard.handshake(ws, "sub", room);
    return ws;
  });
}

async function measure(setup: Setup, opts: BenchOptions, redis: string | null, nodesNeeded: number): Promise<ClusterResult> {
  const base = { setup: setup.key, label: setup.label, nodes: setup.nodes, broker: setup.redis ? ("redis" as const) : ("in-process" as const) };
  const db = await createBenchDatabase(opts.pg);
  if ("unreachable" in db) throw new Error(`PostgreSQL not reachable at ${redactUrl(opts.pg)} (${db.unreachable})`);
  let broker: BenchRedis | null = null;
  let nodes: ServerChild[] = [];
  let pgWatch: PgBackends | null = null;
  let sockets: WebSocket[] = [];
  let pacer: Pacer | null = null;
  try {
    const t0 = performance.now();
    if (setup.redis) broker = await startRedis(redis!);
    nodes = await startNodes(setup.nodes, db.url, broker?.url ?? "");
    pgWatch = await PgBackends.open(db);
    const startSeconds = (performance.now() - t0) / 1000;
    say(`${setup.label}: started in ${num(startSeconds, 1)} s; joining ${opts.clients} receivers + ${nodesNeeded} senders… `);
    const t1 = performance.now();
    const room = `cluster-${setup.key}`;
    const receivers = await joinRoom(nodes, opts.clients, room);
    // As many senders in every setup (one per fleet node), so each setup carries the same sender traffic.
    const senders = await joinRoom(nodes, nodesNeeded, room);
    sockets = [...receivers, ...senders];
    const joinSeconds = (performance.now() - t1) / 1000;
    say(`${num(joinSeconds, 1)} s\n`);

    const counted = new Receivers(receivers, Math.min(nodes.length, receivers.length));
    pacer = new Pacer(senders, room);
    pacer.start(opts.rate);
    await sleep(opts.quick ? 1_000 : 2_000); // warm-up: JIT, pools, the join notices' tail
    const sent0 = pacer.sent;
    const got0 = counted.delivered;
    const cpu0 = nodes.map((n) => cpuSeconds(n.pid));
    const redis0 = broker ? cpuSeconds(broker.pid) : 0;
    const pg0 = await pgWatch.snapshot();
    const own0 = ownCpuSeconds();
    const w0 = performance.now();
    counted.sampling = true;
    for (let s = 1; s <= opts.seconds; s++) {
      const before = counted.delivered;
      await sleep(1_000);
      say(`  ${s}s: ${num(counted.delivered - before)} deliveries\n`);
    }
    counted.sampling = false;
    const seconds = (performance.now() - w0) / 1000;
    const sent = pacer.sent - sent0;
    const delivered = counted.delivered - got0;
    const nodeCpu = nodes.map((n, i) => cpuSeconds(n.pid) - cpu0[i]);
    const redisCpu = broker ? cpuSeconds(broker.pid) - redis0 : null;
    const pgCpu = pgWatch.local ? cpuBetween(pg0, await pgWatch.snapshot()) : null;
    const clientCpu = ownCpuSeconds() - own0;
    pacer.stop();

    // Whatever was sent must reach every receiver: the fleet loses nothing and doubles nothing.
    const expected = pacer.sent * receivers.length;
    const deadline = Date.now() + DRAIN_MS;
    while (counted.delivered < expected && Date.now() < deadline) await sleep(20);
    const serverCpu = nodeCpu.reduce((a, b) => a + b, 0);
    const lat = counted.latencies.sort((a, b) => a - b);
    const offered = opts.rate * receivers.length;
    return {
      ...base,
      receivers: receivers.length,
      senders: senders.length,
      offeredPerSecond: opts.rate,
      sent,
      delivered,
      seconds,
      perSecond: delivered / seconds,
      keptUp: Math.abs(delivered / seconds / offered - 1) <= 0.05 && percentile(lat, 0.5) < 50,
      complete: counted.delivered === expected,
      missing: expected - counted.delivered,
      errors: pacer.errors,
      serverCpuSeconds: serverCpu,
      nodeCpuSeconds: nodeCpu,
      redisCpuSeconds: redisCpu,
      pgCpuSeconds: pgCpu,
      serverCpuUsPerDelivery: delivered > 0 ? (serverCpu / delivered) * 1e6 : 0,
      totalCpuUsPerDelivery: delivered > 0 ? ((serverCpu + (redisCpu ?? 0) + (pgCpu ?? 0)) / delivered) * 1e6 : 0,
      latencyP50Ms: percentile(lat, 0.5),
      latencyP99Ms: percentile(lat, 0.99),
      clientCpuShare: clientCpu / seconds,
      startSeconds,
      joinSeconds,
    };
  } catch (err) {
    // A message may quote the store URL; it never leaves unredacted.
    throw new Error((err instanceof Error ? err.message : String(err)).replaceAll(db.url, redactUrl(db.url)));
  } finally {
    pacer?.stop();
    closeAll(sockets);
    await pgWatch?.close();
    await Promise.all(nodes.map((n) => n.stop()));
    await broker?.stop();
    await db.drop().catch((err: unknown) => say(`could not drop the bench database: ${String(err)}\n`));
  }
}

function table(rows: ClusterResult[]): string {
  const single = rows.find((r) => r.setup === "single" && !r.error);
  const ratio = (a: number, b: number | undefined) => (b ? `${num(a / b, 2)}×` : "-");
  const header = ["setup", "deliveries/s", "vs 1", "server CPU s", "µs/deliv", "vs 1", "+redis+pg µs", "vs 1", "p50 ms", "p99 ms", "kept up", "clients CPU", "complete"];
  const lines = rows.map((r) =>
    r.error
      ? [r.label, "failed", "", "", "", "", "", "", "", "", "", "", ""]
      : [
          r.label, num(r.perSecond), ratio(r.perSecond, single?.perSecond), num(r.serverCpuSeconds, 2),
          num(r.serverCpuUsPerDelivery, 2), ratio(r.serverCpuUsPerDelivery, single?.serverCpuUsPerDelivery),
          num(r.totalCpuUsPerDelivery, 2), ratio(r.totalCpuUsPerDelivery, single?.totalCpuUsPerDelivery),
          num(r.latencyP50Ms, 1), num(r.latencyP99Ms, 1), r.keptUp ? "yes" : "behind", `${num(r.clientCpuShare * 100)}%`, r.complete ? "yes" : `no (${r.missing} missing)`,
        ],
  );
  const widths = header.map((h, col) => Math.max(h.length, ...lines.map((l) => l[col].length)));
  const format = (cells: string[]) => cells.map((c, col) => (col === 0 ? c.padEnd(widths[col]) : c.padStart(widths[col]))).join("  ");
  const out = [format(header), widths.map((w) => "-".repeat(w)).join("  "), ...lines.map(format)];
  for (const r of rows) if (r.error) out.push(`${r.label}: ${r.error}`);
  return out.join("\n");
}

export async function cluster(opts: BenchOptions): Promise<void> {
  const redis = redisBinary();
  const setups: Setup[] = [
    { key: "single", label: "1 node, in-process broker", nodes: 1, redis: false },
    { key: "single-redis", label: "1 node + Redis", nodes: 1, redis: true },
    { key: "fleet", label: `${opts.nodes} nodes + Redis`, nodes: opts.nodes, redis: true },
  ];
  say(`cluster: ${opts.clients} instalk receivers in one room, ${opts.nodes} senders, ${num(opts.rate)} msgs/s offered, ${opts.seconds}s window; PostgreSQL store for every setup\n`);
  if (!redis) say("redis-server not found (set REDIS_SERVER or put it on PATH): only the in-process setup runs\n");
  const loadBefore = loadavg()[0];
  if (loadBefore > cpus().length / 2) say(`note: load average ${loadBefore.toFixed(1)} on ${cpus().length} cores; servers, Redis, PostgreSQL and clients share them\n`);

  const rows: ClusterResult[] = [];
  for (const setup of setups.filter((s) => !s.redis || redis)) {
    try {
      const r = await measure(setup, opts, redis, opts.nodes);
      rows.push(r);
      say(`${setup.label}: ${num(r.perSecond)} deliveries/s, ${num(r.serverCpuUsPerDelivery, 2)} µs server CPU each, p50 ${num(r.latencyP50Ms, 1)} ms${r.keptUp ? "" : " (fell behind the offered rate)"}${r.complete ? "" : `, INCOMPLETE (${r.missing} missing)`}${r.errors ? `, ${r.errors} errors` : ""}\n`);
    } catch (err) {
      const error = (err instanceof Error ? err.message : String(err)).slice(0, 2000);
      rows.push({ setup: setup.key, label: setup.label, error } as ClusterResult);
      say(`${setup.label}: failed: ${error}\n`);
    }
  }
  say(`\n${table(rows)}\n`);
  const options = { clients: opts.clients, rate: opts.rate, seconds: opts.seconds, nodes: opts.nodes, pg: redactUrl(opts.pg) };
  await mkdir("bench/results", { recursive: true });
  await writeFile(RESULTS, `${JSON.stringify({ date: new Date().toISOString(), machine: machine(loadBefore), options, results: rows }, null, 2)}\n`);
  say(`\nwritten to ${RESULTS}\n`);
}
