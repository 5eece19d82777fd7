// npm run bench -- --scenario latency: publish-to-delivery time at fixed
// offered rates (100 and 1,000 msgs/s) into one room of 1,000 receivers, for
// Switchboard, raw `ws` sending per socket and the batched-frame `ws` server,
// in one run. One publisher paces the messages (what is due every 10 ms) and
// writes its clock into each body; a few receivers in this process, on the
// same clock, time them; the rest are raw clients spread over client
// processes that only count frames, so the clients keep up with a million
// deliveries a second. Loopback only; every window bounded.
import type { WebSocket } from "ws";
import { freePort, type ServerChild } from "./child.js";
import { closeAll, open } from "./clients.js";
import { loadNow, machineNote, num, percentile, say, sleep, textTable, writeResults } from "./common.js";
import { startSwitchboard, switchboard, wsBatched, wsNaive, type Contestant } from "./contestants.js";
import type { BenchOptions } from "./options.js";
import { barChart, stack } from "./plot.js";
import { cpuSeconds, ownCpuSeconds } from "./proc.js";
import { PROFILED_STOP_MS, ProfileRun } from "./profiling.js";
import { ClientPool } from "./workers.js";

export interface LatencyResult {
  rate: number;
  receivers: number;
  /** Messages sent and deliveries counted (all receivers) inside the window. */
  sent: number;
  delivered: number;
  seconds: number;
  perSecond: number;
  offeredPerSecond: number;
  /** Window deliveries within 5% of rate × receivers, and p50 under 50 ms. */
  keptUp: boolean;
  /** After the window and a bounded drain: every message sent (warm-up included) reached every receiver. */
  complete: boolean;
  missing: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  samples: number;
  serverCpuSeconds: number;
  serverCpuUsPerDelivery: number;
  /** CPU of the client processes and this one (publisher and timed receivers), as a share of one core. */
  clientCpuShare: number;
}

export interface LatencyRow {
  key: string;
  label: string;
  joinSeconds: number | null;
  results: LatencyResult[];
  error?: string;
}

/** The room every contestant's `message()` publishes into. */
const ROOM = "bench";
const TICK_MS = 10;
const WARMUP_MS = 1_000;
const DRAIN_MS = 10_000;
const SETTLE_MS = 1_500;
/** Receivers in this process that time every message (the rest only count). */
const TIMED = 10;
const PARALLEL = 50;
const BODY_AT = '"body":"';
const MSG = Buffer.from('"o":"msg"');

/** The receivers in this process: each delivery's age, read from the send time at the start of its body. */
class Timed {
  delivered = 0;
  sampling = false;
  readonly latencies: number[] = [];

  constructor(sockets: WebSocket[], jsonFrames: boolean) {
    for (const ws of sockets) {
      ws.on("message", (data: Buffer) => {
        if (jsonFrames && !data.includes(MSG)) return;
        const now = performance.now();
        this.delivered++;
        if (!this.sampling) return;
        const text = data.toString("utf8");
        const at = jsonFrames ? text.indexOf(BODY_AT) + BODY_AT.length : 0;
        this.latencies.push(now - parseFloat(text.slice(at, at + 24)));
      });
    }
  }
}

/** Sends what is due every tick at `rate` messages a second; a late tick catches up, so the average holds. */
class Pacer {
  sent = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly publisher: WebSocket,
    private readonly frame: (body: string) => string,
  ) {}

  start(rate: number): void {
    const t0 = performance.now();
    const sent0 = this.sent;
    this.timer = setInterval(() => {
      const due = sent0 + Math.floor(((performance.now() - t0) / 1000) * rate);
      while (this.sent < due) {
        this.publisher.send(this.frame(`${performance.now().toFixed(3)} `.padEnd(100, "x")));
        this.sent++;
      }
    }, TICK_MS);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

async function until(check: () => Promise<boolean> | boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(100);
  }
  return check();
}

async function measure(c: Contestant, opts: BenchOptions, row: LatencyRow): Promise<void> {
  // --profile: Switchboard's CPU profile of each measured window (the joins before them are left out).
  const run = c.key === "switchboard" && opts.profile ? await ProfileRun.create(opts.profile, "latency", "switchboard", false) : null;
  const port = await freePort();
  const server: ServerChild = run ? await startSwitchboard(port, {}, { nodeFlags: run.nodeFlags(true), stopTimeoutMs: PROFILED_STOP_MS }) : await c.start(port);
  let pool: ClientPool | null = null;
  const local: WebSocket[] = [];
  try {
    pool = await ClientPool.start(opts.workers);
    const timedCount = Math.min(TIMED, opts.clients);
    const isSb = c.key === "switchboard";
    const t0 = performance.now();
    for (let i = 0; i < timedCount; i++) {
      const ws = await open(c.url(server.port, "sub", ROOM));
      ws.on("error", () => undefined);
      local.push(ws);
      await c.handshake(ws, "sub", ROOM);
    }
    const timed = new Timed(local.slice(), isSb);
    const rest = opts.clients - timedCount;
    const opened = await pool.open({
      port: server.port, path: isSb ? "/websocket" : `/?role=sub&room=${ROOM}`, count: rest, handshake: isSb ? "instalk" : "none",
      room: ROOM, roomSize: 0, parallel: PARALLEL, deadline: Date.now() + 120_000,
    });
    if (opened.error) throw new Error(`only ${opened.opened} of ${rest} receivers joined: ${opened.error}`);
    // The publisher: a member in Switchboard (instalk sends only into joined rooms; its own echoes are not counted), not one for ws.
    const publisher = await open(c.url(server.port, "pub", ROOM));
    publisher.on("error", () => undefined);
    local.push(publisher);
    await c.handshake(publisher, "pub", ROOM);
    row.joinSeconds = (performance.now() - t0) / 1000;
    say(`${c.label}: ${num(opts.clients)} receivers in the room after ${num(row.joinSeconds, 1)} s\n`);
    await sleep(SETTLE_MS); // the last join notices land before counting starts
    const base = (await pool.count()).frames;
    const timedBase = timed.delivered;
    const pacer = new Pacer(publisher, (body) => c.message(0, body));

    for (const rate of opts.rates) {
      say(`${c.label}: ${num(rate)} msgs/s to ${num(opts.clients)} receivers, ${opts.seconds} s window…\n`);
      pacer.start(rate);
      await sleep(WARMUP_MS);
      const sent0 = pacer.sent;
      const w0 = await pool.count();
      const timed0 = timed.delivered;
      const cpu0 = cpuSeconds(server.pid);
      const own0 = ownCpuSeconds();
      const start = performance.now();
      timed.latencies.length = 0;
      timed.sampling = true;
      let last = w0.frames + timed0;
      for (let s = 1; s <= opts.seconds; s++) {
        await sleep(1000);
        const nowCount = (await pool.count()).frames + timed.delivered;
        const lat = [...timed.latencies].sort((a, b) => a - b);
        say(`  … ${s}s: ${num(nowCount - last)} deliveries, p50 so far ${num(percentile(lat, 0.5), 1)} ms\n`);
        last = nowCount;
      }
      timed.sampling = false;
      run?.window(server, `${num(rate)} msgs/s to ${num(opts.clients)} receivers`, start, performance.now());
      const seconds = (performance.now() - start) / 1000;
      const w1 = await pool.count();
      const serverCpu = cpuSeconds(server.pid) - cpu0;
      const ownCpu = ownCpuSeconds() - own0;
      const sent = pacer.sent - sent0;
      pacer.stop();
      const delivered = w1.frames - w0.frames + (timed.delivered - timed0);
      // Every message sent so far must reach every receiver, once.
      const expected = () => pacer.sent * rest;
      const complete = await until(async () => timed.delivered - timedBase === pacer.sent * timedCount && (await pool!.count()).frames - base === expected(), DRAIN_MS);
      const missing = pacer.sent * opts.clients - ((await pool.count()).frames - base + timed.delivered - timedBase);
      const lat = timed.latencies.sort((a, b) => a - b);
      const offered = rate * opts.clients;
      const r: LatencyResult = {
        rate, receivers: opts.clients, sent, delivered, seconds, perSecond: delivered / seconds, offeredPerSecond: offered,
        keptUp: Math.abs(delivered / seconds / offered - 1) <= 0.05 && percentile(lat, 0.5) < 50,
        complete, missing,
        p50Ms: percentile(lat, 0.5), p90Ms: percentile(lat, 0.9), p99Ms: percentile(lat, 0.99), maxMs: lat.length ? lat[lat.length - 1] : 0, samples: lat.length,
        serverCpuSeconds: serverCpu, serverCpuUsPerDelivery: delivered > 0 ? (serverCpu / delivered) * 1e6 : 0,
        clientCpuShare: (w1.cpuSeconds - w0.cpuSeconds + ownCpu) / seconds,
      };
      row.results.push(r);
      say(`${c.label} @ ${num(rate)}/s: p50 ${num(r.p50Ms, 2)} ms, p99 ${num(r.p99Ms, 2)} ms, ${num(r.perSecond)} deliveries/s${r.keptUp ? "" : " (fell behind)"}${r.complete ? "" : `, INCOMPLETE (${num(missing)} missing after ${DRAIN_MS / 1000} s)`}\n`);
      if (!complete) break; // a backlog would spill into the next window
      await sleep(500);
    }
  } finally {
    closeAll(local);
    await pool?.close();
    await server.stop();
    if (run) run.manifest.connections = opts.clients;
    await run?.save();
  }
}

export async function latency(opts: BenchOptions): Promise<void> {
  const all = [wsNaive, wsBatched, switchboard];
  const contestants = opts.only.length > 0 ? all.filter((c) => opts.only.includes(c.key)) : all;
  say(`latency: ${num(opts.clients)} receivers in one room, ${opts.rates.map((r) => num(r)).join(" and ")} msgs/s offered, ${opts.seconds} s windows; ${TIMED} timed receivers, the rest over ${opts.workers} client processes\n`);
  const loadBefore = loadNow("latencies include waiting for a core");
  const rows: LatencyRow[] = [];
  for (const c of contestants) {
    const row: LatencyRow = { key: c.key, label: c.label, joinSeconds: null, results: [] };
    rows.push(row);
    try {
      await measure(c, opts, row);
    } catch (err) {
      row.error = err instanceof Error ? err.message : String(err);
      say(`${c.label}: failed: ${row.error}\n`);
    }
  }

  const lines = rows.flatMap((row) =>
    row.results.map((r) => [
      row.label, num(r.rate), num(r.perSecond), num(r.p50Ms, 2), num(r.p90Ms, 2), num(r.p99Ms, 2), num(r.maxMs, 1),
      num(r.serverCpuSeconds, 2), num(r.serverCpuUsPerDelivery, 2), `${num(r.clientCpuShare * 100)}%`, r.keptUp ? "yes" : "behind", r.complete ? "yes" : `no (${num(r.missing)})`,
    ]),
  );
  say(`\n${textTable(["server", "msgs/s", "deliveries/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "server CPU s", "µs/deliv", "clients CPU", "kept up", "complete"], lines)}\n`);
  for (const r of rows) if (r.error) say(`${r.label}: ${r.error}\n`);

  const note = machineNote(loadBefore);
  const chart = (p: "p50Ms" | "p99Ms", title: string) =>
    barChart({
      title,
      unit: "ms (log)",
      log: true,
      categories: opts.rates.map((rate) => `${num(rate)} msgs/s × ${num(opts.clients)} receivers`),
      series: rows.map((row) => ({
        name: row.label,
        values: opts.rates.map((rate) => row.results.find((r) => r.rate === rate)?.[p] ?? null),
      })),
      note,
    });
  await writeResults(
    "latency", loadBefore, { clients: opts.clients, rates: opts.rates, seconds: opts.seconds, workers: opts.workers }, rows,
    stack([chart("p50Ms", "Publish → delivery, p50"), chart("p99Ms", "Publish → delivery, p99")]),
  );
}
