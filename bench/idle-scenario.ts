// npm run bench -- --scenario idle: resident memory per idle connection, with
// every Switchboard connection initialised and joined (rooms of 50), against
// raw `ws` holding the same number of idle sockets, in one run. Two extra
// Switchboard rows take the connection apart: connected only (no init: the
// transport and connection layers) and initialised but in no room (the
// session). Loopback only; a fresh server per row; bounded by the count.
import { exchange } from "./clients.js";
import { freePort, spawnServer, type ServerChild } from "./child.js";
import { installedSocketIo } from "./installed.js";
import { loadNow, machineNote, mib, num, say, textTable, withProgress, writeResults } from "./common.js";
import { socketIo, startSwitchboard, switchboard, wsBatched, wsNaive, type Contestant } from "./contestants.js";
import { idle, type IdleHooks, type IdleResult } from "./idle.js";
import type { BenchOptions } from "./options.js";
import { barChart } from "./plot.js";
import { rssBytes } from "./proc.js";
import { PROFILED_STOP_MS, ProfileRun } from "./profiling.js";

/** Switchboard's own V8 figures (its /metrics), read right after each RSS read: how much of the growth is the JS heap. */
export interface HeapFigures {
  usedBeforeBytes: number;
  usedAfterBytes: number;
  totalBeforeBytes: number;
  totalAfterBytes: number;
  externalBeforeBytes: number;
  externalAfterBytes: number;
  /** Growth per connection, KiB: heap in use (live and not yet collected), heap reserved, and memory outside the heap V8 knows of (Buffers). */
  usedKibPerConnection: number;
  totalKibPerConnection: number;
  externalKibPerConnection: number;
  /** --profile only: heap in use right after the `after` heap snapshot, whose full GC leaves only live objects. */
  usedAfterFullGcKibPerConnection?: number;
}

export interface IdleRow {
  key: string;
  label: string;
  result: IdleResult | null;
  heap: HeapFigures | null;
  /** KiB per connection over raw ws's, measured in this run. */
  vsWs: number | null;
  error?: string;
}

/** Switchboard with a long grace period: connections that never send their init stay open for the measurement. */
const patient = (port: number, extras: Parameters<typeof startSwitchboard>[2] = {}) =>
  startSwitchboard(port, {}, { ...extras, settings: [...(extras.settings ?? []), "instalk.graceMs=3600000"] });

const sbConnected: Contestant = {
  ...switchboard,
  key: "switchboard-connected",
  label: "Switchboard, connected only",
  start: (port) => patient(port),
  handshake: async () => undefined,
};

const sbInit: Contestant = {
  ...switchboard,
  key: "switchboard-init",
  label: "Switchboard, init, no room",
  start: (port) => patient(port),
  async handshake(ws) {
    await exchange(ws, JSON.stringify({ v: "0.1" }), (t) => t.startsWith('{"welcome"'));
  },
};

const sbJoined: Contestant = { ...switchboard, label: "Switchboard, init + join" };

const isSwitchboard = (c: Contestant) => c.key.startsWith("switchboard");

/** Starts `c`; profiled runs get the CPU profiler and heap snapshots (Switchboard), heap snapshots only (raw ws: the baseline). */
async function start(c: Contestant, run: ProfileRun | null): Promise<ServerChild> {
  const port = await freePort();
  if (!run) return c.start(port);
  if (isSwitchboard(c)) {
    const settings = c.key === "switchboard" ? [] : ["instalk.graceMs=3600000"];
    return startSwitchboard(port, {}, { nodeFlags: run.nodeFlags(true), settings, stopTimeoutMs: PROFILED_STOP_MS });
  }
  return spawnServer([...run.nodeFlags(false), "--import", "tsx", "bench/servers/ws-naive.ts", String(port)], port, {}, PROFILED_STOP_MS);
}

/** nodejs_heap_size_used_bytes and friends from Switchboard's /metrics (prom-client's default metrics). */
async function v8Figures(port: number): Promise<{ used: number; total: number; external: number } | null> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5_000) });
    if (!res.ok) return null;
    const text = await res.text();
    const read = (name: string) => Number(new RegExp(`^${name} ([0-9.e+]+)`, "m").exec(text)?.[1] ?? NaN);
    const out = { used: read("nodejs_heap_size_used_bytes"), total: read("nodejs_heap_size_total_bytes"), external: read("nodejs_external_memory_bytes") };
    return Number.isFinite(out.used) ? out : null;
  } catch {
    return null;
  }
}

async function measure(c: Contestant, opts: BenchOptions, row: IdleRow): Promise<IdleResult> {
  const profiled = opts.profile !== null && (isSwitchboard(c) || c.key === "ws");
  const run = profiled ? await ProfileRun.create(opts.profile!, "idle", c.key, true) : null;
  const server = await start(c, run);
  const v8: { before?: Awaited<ReturnType<typeof v8Figures>>; after?: Awaited<ReturnType<typeof v8Figures>>; gc?: Awaited<ReturnType<typeof v8Figures>> } = {};
  const hooks: IdleHooks = {
    ...(run ? { beforeConnect: async () => void (await run.snapshot(server, "before", isSwitchboard(c))) } : {}),
    ...(isSwitchboard(c) ? { atRead: async (phase: "before" | "after") => void (v8[phase] = await v8Figures(server.port)) } : {}),
    ...(run
      ? {
          afterMeasure: async (t0: number, t1: number) => {
            run.window(server, `connect + handshake ${opts.idle}`, t0, t1);
            run.manifest.connections = opts.idle;
            await run.snapshot(server, "after", isSwitchboard(c));
            if (isSwitchboard(c)) v8.gc = await v8Figures(server.port);
          },
        }
      : {}),
  };
  try {
    const result = await withProgress(idle(c, server, opts.idle, hooks), () => `${c.label}: server RSS ${num(mib(rssBytes(server.pid)), 1)} MiB`);
    const { before, after } = v8;
    if (before && after) {
      const per = (a: number, b: number) => (a - b) / opts.idle / 1024;
      row.heap = {
        usedBeforeBytes: before.used, usedAfterBytes: after.used, totalBeforeBytes: before.total, totalAfterBytes: after.total,
        externalBeforeBytes: before.external, externalAfterBytes: after.external,
        usedKibPerConnection: per(after.used, before.used), totalKibPerConnection: per(after.total, before.total), externalKibPerConnection: per(after.external, before.external),
        ...(v8.gc ? { usedAfterFullGcKibPerConnection: per(v8.gc.used, before.used) } : {}),
      };
    }
    return result;
  } finally {
    await server.stop();
    if (run) {
      run.manifest.note = `${opts.idle} idle connections, rooms of 50; the 'after' snapshot holds them, 'before' is the same server before they came`;
      await run.save();
    }
  }
}

export async function idleScenario(opts: BenchOptions): Promise<void> {
  const all = [wsNaive, wsBatched, ...(installedSocketIo() ? [socketIo] : []), sbConnected, sbInit, sbJoined];
  const contestants = opts.only.length > 0 ? all.filter((c) => opts.only.includes(c.key)) : all;
  say(`idle: ${num(opts.idle)} idle connections per row (Switchboard: rooms of 50), a fresh server each${opts.profile ? `; profiling into ${opts.profile}` : ""}\n`);
  const loadBefore = loadNow("RSS is read from /proc and holds; connect times will be slow");
  const rows: IdleRow[] = [];
  for (const c of contestants) {
    const row: IdleRow = { key: c.key, label: c.label, result: null, heap: null, vsWs: null };
    rows.push(row);
    say(`${c.label}: connecting ${num(opts.idle)}…\n`);
    try {
      row.result = await measure(c, opts, row);
      say(`${c.label}: ${num(row.result.kibPerConnection, 1)} KiB/conn (connected in ${num(row.result.connectSeconds, 1)} s)\n`);
    } catch (err) {
      row.error = err instanceof Error ? err.message : String(err);
      say(`${c.label}: failed: ${row.error}\n`);
    }
  }
  const base = rows.find((r) => r.key === "ws")?.result?.kibPerConnection;
  for (const r of rows) r.vsWs = r.result && base ? r.result.kibPerConnection / base : null;

  const lines = rows.map((r) =>
    r.result
      ? [
          r.label, num(r.result.connections), num(r.result.connectSeconds, 1), num(mib(r.result.rssBeforeBytes), 1), num(mib(r.result.rssAfterBytes), 1),
          num(r.result.kibPerConnection, 1), r.vsWs === null ? "-" : `${num(r.vsWs, 2)}×`,
          r.heap ? num(r.heap.usedKibPerConnection, 1) : "-", r.heap ? num(r.heap.totalKibPerConnection, 1) : "-", r.heap ? num(r.heap.externalKibPerConnection, 1) : "-",
        ]
      : [r.label, "failed", "", "", "", "", "", "", "", ""],
  );
  say(`\n${textTable(["server", "connections", "connect s", "RSS before MiB", "RSS after MiB", "KiB/conn", "vs ws", "heap used", "heap total", "external"], lines)}\n`);
  say("(heap used / heap total / external: growth per connection in KiB of the server's own V8 figures, Switchboard's /metrics, read with RSS; used includes garbage not yet collected)\n");
  for (const r of rows) if (r.error) say(`${r.label}: ${r.error}\n`);
  for (const r of rows) {
    if (r.heap?.usedAfterFullGcKibPerConnection !== undefined) {
      say(`${r.label}: heap in use ${num(r.heap.usedKibPerConnection, 1)} KiB/conn when RSS was read, ${num(r.heap.usedAfterFullGcKibPerConnection, 1)} KiB/conn after the heap snapshot's full GC\n`);
    }
  }
  const sb = rows.find((r) => r.key === "switchboard");
  if (sb?.vsWs) say(`\nSwitchboard (init + join) holds an idle connection in ${num(sb.vsWs, 2)}× raw ws's memory (goal: ≤ 1×)\n`);

  const svg = barChart({
    title: `Server RSS per idle connection (${num(opts.idle)} connections)`,
    unit: "KiB per connection",
    categories: rows.map((r) => r.label.replace("Switchboard, ", "SB, ").replace(" (send per socket)", "").replace(" (shared frame, batched)", " batched")),
    series: [{ name: "KiB/conn", values: rows.map((r) => r.result?.kibPerConnection ?? null), labels: rows.map((r) => (r.result ? `${num(r.result.kibPerConnection, 1)}${r.vsWs ? `\n${num(r.vsWs, 2)}× ws` : ""}` : null)) }],
    note: machineNote(loadBefore),
  });
  await writeResults("idle", loadBefore, { idle: opts.idle, only: opts.only, profile: opts.profile }, rows, svg);
}
