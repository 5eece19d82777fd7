// npm run bench -- --scenario join: how long N clients take to connect, init
// and join ONE Switchboard room, against N plain connects to raw `ws`, in one
// run, with the server's RSS. The clients are raw WebSocket clients
// (raw-client.ts) spread over a few client processes (workers.ts): in one
// instalk room every join notifies every member, so the clients receive
// O(N²) frames, and they must not be what sets the pace. A join still
// unfinished after --give-up seconds (120) is abandoned and reported as such.
// The same N clients joining rooms of 50 (SMALL_ROOM) are measured too: what
// a join costs without the one big room's O(N²) notices and member lists.
import { freePort, type ServerChild } from "./child.js";
import { loadNow, machineNote, mib, num, say, sleep, textTable, withProgress, writeResults } from "./common.js";
import { startSwitchboard, wsNaive } from "./contestants.js";
import type { BenchOptions } from "./options.js";
import { barChart, lineChart, stack } from "./plot.js";
import { cpuSeconds, rssBytes } from "./proc.js";
import { PROFILED_STOP_MS, ProfileRun } from "./profiling.js";
import { ClientPool, type Handshake } from "./workers.js";

type Kind = "ws" | "switchboard" | "switchboard-rooms";

export interface JoinResult {
  server: Kind;
  label: string;
  clients: number;
  /** Clients connected (and, for Switchboard, initialised and joined) when the measurement ended. */
  joined: number;
  complete: boolean;
  /** Why it ended early: the give-up deadline, a refused connection… */
  gaveUp?: string;
  seconds: number;
  perSecond: number;
  serverCpuSeconds: number;
  /** CPU of every client process during the join, as a share of one core: near 100% per process would mean they set the pace. */
  clientCpuShare: number;
  /** Frames the clients received during the join (instalk: welcomes, room-welcomes, and one `joined` notice per member per later joiner). */
  framesReceived: number;
  rssBeforeBytes: number;
  /** RSS as the last client joined, and 1.5 s later. */
  rssPeakBytes: number;
  rssAfterBytes: number;
  kibPerConnection: number;
  /** [seconds, clients joined] every 0.5 s: the shape of the curve (straight for ws, bending for O(N²) joins). */
  progress: [number, number][];
}

export interface JoinPair {
  clients: number;
  ws: JoinResult | null;
  switchboard: JoinResult | null;
  /** The same count into rooms of SMALL_ROOM members. */
  "switchboard-rooms": JoinResult | null;
  /** Switchboard's time over raw ws's; a lower bound when Switchboard gave up. */
  ratio: number | null;
  /** The same for the rooms of SMALL_ROOM. */
  roomsRatio: number | null;
  errors: string[];
}

const ROOM = "join-bench";
/** Connections each client process opens at once: 2 processes × 50 ≈ the other scenarios' 100. */
const PARALLEL = 50;
const SETTLE_MS = 1_500;
/** The idle scenario's room size: joins that are not O(N²). */
const SMALL_ROOM = 50;
const LABELS: Record<Kind, string> = {
  ws: "raw ws connect",
  switchboard: "Switchboard connect + init + join",
  "switchboard-rooms": `Switchboard, rooms of ${SMALL_ROOM}`,
};

async function startServer(kind: Kind, run: ProfileRun | null): Promise<ServerChild> {
  const port = await freePort();
  if (kind === "ws") return wsNaive.start(port);
  return startSwitchboard(port, {}, run ? { nodeFlags: run.nodeFlags(true), stopTimeoutMs: PROFILED_STOP_MS } : {});
}

async function measure(kind: Kind, clients: number, opts: BenchOptions): Promise<JoinResult> {
  const label = LABELS[kind];
  const run = kind === "switchboard" && opts.profile ? await ProfileRun.create(opts.profile, "join", `switchboard-${clients}`, true) : null;
  const server = await startServer(kind, run);
  let pool: ClientPool | null = null;
  try {
    pool = await ClientPool.start(opts.workers);
    await sleep(SETTLE_MS);
    if (run) {
      await run.snapshot(server, "before", true);
      await sleep(SETTLE_MS);
    }
    const rssBefore = rssBytes(server.pid);
    const cpu0 = cpuSeconds(server.pid);
    const counts0 = await pool.count();
    const handshake: Handshake = kind === "ws" ? "none" : "instalk";
    const path = kind === "ws" ? `/?role=sub&room=${ROOM}` : "/websocket";
    const t0 = performance.now();
    const progress: [number, number][] = [[0, 0]];
    const sampler = setInterval(() => progress.push([+((performance.now() - t0) / 1000).toFixed(2), pool!.opened]), 500);
    const opened = await withProgress(
      pool.open({
        port: server.port, path, count: clients, handshake, room: ROOM, roomSize: kind === "switchboard-rooms" ? SMALL_ROOM : 0,
        parallel: PARALLEL, deadline: Date.now() + opts.giveUpSeconds * 1000,
      }),
      () => `${label} × ${num(clients)}: ${num(pool!.opened)} done after ${num((performance.now() - t0) / 1000, 1)} s, server RSS ${num(mib(rssBytes(server.pid)), 1)} MiB`,
    ).finally(() => clearInterval(sampler));
    const t1 = performance.now();
    const seconds = (t1 - t0) / 1000;
    const rssPeak = rssBytes(server.pid);
    const serverCpu = cpuSeconds(server.pid) - cpu0;
    const counts1 = await pool.count();
    progress.push([+seconds.toFixed(2), opened.opened]);
    await sleep(SETTLE_MS);
    const rssAfter = rssBytes(server.pid);
    if (run) {
      run.window(server, `${label} × ${clients}`, t0, t1);
      run.manifest.connections = opened.opened;
      run.manifest.note = `${opened.opened} of ${clients} clients in one room${opened.error ? ` (gave up: ${opened.error})` : ""}`;
      await run.snapshot(server, "after", true);
    }
    const complete = opened.opened === clients && !opened.error;
    return {
      server: kind,
      label,
      clients,
      joined: opened.opened,
      complete,
      ...(complete
        ? {}
        : {
            gaveUp: seconds >= opts.giveUpSeconds
              ? `not finished within the ${opts.giveUpSeconds} s limit: ${opened.opened} of ${clients} done (last error: ${opened.error ?? "none"})`
              : (opened.error ?? "not every client joined"),
          }),
      seconds,
      perSecond: opened.opened / seconds,
      serverCpuSeconds: serverCpu,
      clientCpuShare: (counts1.cpuSeconds - counts0.cpuSeconds) / seconds,
      framesReceived: counts1.frames - counts0.frames,
      rssBeforeBytes: rssBefore,
      rssPeakBytes: rssPeak,
      rssAfterBytes: rssAfter,
      kibPerConnection: opened.opened > 0 ? (rssAfter - rssBefore) / opened.opened / 1024 : 0,
      progress,
    };
  } finally {
    // Clients first: a server that drains with 10,000 members in a room tells each of them about every other's departure.
    await pool?.close();
    await server.stop();
    await run?.save();
  }
}

export async function join(opts: BenchOptions): Promise<void> {
  say(`join: ${opts.join.map((n) => num(n)).join(" and ")} clients into one room, over ${opts.workers} client processes; given up after ${opts.giveUpSeconds} s${opts.profile ? `; profiling Switchboard into ${opts.profile}` : ""}\n`);
  const loadBefore = loadNow("server and client processes share the cores: times will be long");
  const pairs: JoinPair[] = [];
  for (const clients of opts.join) {
    const pair: JoinPair = { clients, ws: null, switchboard: null, "switchboard-rooms": null, ratio: null, roomsRatio: null, errors: [] };
    pairs.push(pair);
    for (const kind of ["ws", "switchboard", "switchboard-rooms"] as const) {
      say(`${LABELS[kind]}: ${num(clients)} clients…\n`);
      try {
        const r = await measure(kind, clients, opts);
        pair[kind] = r;
        say(
          r.complete
            ? `${r.label} × ${num(clients)}: ${num(r.seconds, 2)} s (${num(r.perSecond)}/s), server CPU ${num(r.serverCpuSeconds, 1)} s, clients CPU ${num(r.clientCpuShare * 100)}%, ${num(r.kibPerConnection, 1)} KiB/conn\n`
            : `${r.label} × ${num(clients)}: GAVE UP after ${num(r.seconds, 1)} s — ${r.gaveUp}\n`,
        );
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        pair.errors.push(`${kind}: ${message}`);
        say(`${kind} × ${num(clients)}: failed: ${message}\n`);
      }
    }
    if (pair.ws?.complete && pair.switchboard) pair.ratio = pair.switchboard.seconds / pair.ws.seconds;
    const rooms = pair["switchboard-rooms"];
    if (pair.ws?.complete && rooms) pair.roomsRatio = rooms.seconds / pair.ws.seconds;
  }

  const lines: string[][] = [];
  for (const p of pairs) {
    for (const r of [p.ws, p.switchboard, p["switchboard-rooms"]]) {
      if (!r) continue;
      const ratio = r.server === "switchboard" ? p.ratio : p.roomsRatio;
      const isSb = r.server !== "ws";
      lines.push([
        r.label, num(r.clients), r.complete ? num(r.seconds, 2) : `> ${num(r.seconds, 0)} (gave up, ${num(r.joined)} joined)`,
        num(r.perSecond), num(r.serverCpuSeconds, 1), `${num(r.clientCpuShare * 100)}%`, num(r.framesReceived),
        num(mib(r.rssPeakBytes), 1), num(r.kibPerConnection, 1),
        isSb && ratio !== null ? `${r.complete ? "" : "≥ "}${num(ratio, 1)}×` : isSb ? "-" : "1.0×",
      ]);
    }
  }
  say(`\n${textTable(["what", "clients", "seconds", "per s", "server CPU s", "clients CPU", "frames recv", "peak RSS MiB", "KiB/conn", "vs ws"], lines)}\n`);
  for (const p of pairs) for (const e of p.errors) say(`${num(p.clients)}: ${e}\n`);
  for (const p of pairs) {
    if (p.ratio !== null) say(`${num(p.clients)} into one room: Switchboard ${p.switchboard?.complete ? "" : "≥ "}${num(p.ratio, 1)}× raw ws connect (goal: ≤ 2×)\n`);
    if (p.roomsRatio !== null) say(`${num(p.clients)} into rooms of ${SMALL_ROOM}: Switchboard ${num(p.roomsRatio, 1)}× raw ws connect\n`);
  }

  const note = machineNote(loadBefore);
  const bars = barChart({
    title: "Time to bring N clients into one room",
    unit: "seconds (log)",
    log: true,
    categories: pairs.map((p) => `${num(p.clients)} clients`),
    series: [
      { name: "raw ws connect", values: pairs.map((p) => p.ws?.seconds ?? null) },
      {
        name: "Switchboard connect + init + join",
        values: pairs.map((p) => p.switchboard?.seconds ?? null),
        labels: pairs.map((p) =>
          p.switchboard
            ? `${p.switchboard.complete ? "" : `gave up, ${num(p.switchboard.joined)} in, `}${num(p.switchboard.seconds, 1)} s${p.ratio ? `\n${p.switchboard.complete ? "" : "≥ "}${num(p.ratio, 1)}× ws` : ""}`
            : null,
        ),
      },
      { name: LABELS["switchboard-rooms"], values: pairs.map((p) => p["switchboard-rooms"]?.seconds ?? null) },
    ],
    note,
  });
  // The joined-over-time curves, on one time axis: a straight line is a constant cost per join.
  const curves = pairs.flatMap((p) => [p.ws, p.switchboard, p["switchboard-rooms"]]).filter((r): r is JoinResult => r !== null);
  const xs = [...new Set(curves.flatMap((r) => r.progress.map(([t]) => t)))].sort((a, b) => a - b);
  const line = lineChart({
    title: "Clients in the room over time",
    unit: "clients joined",
    xLabel: "seconds since the first connect",
    x: xs,
    series: curves.map((r) => {
      const at = new Map(r.progress.map(([t, n]) => [t, n]));
      return { name: `${r.server === "ws" ? "ws" : r.server === "switchboard" ? "Switchboard" : `SB rooms of ${SMALL_ROOM}`} × ${num(r.clients)}`, values: xs.map((t) => at.get(t) ?? null) };
    }),
    note,
  });
  await writeResults("join", loadBefore, { join: opts.join, workers: opts.workers, giveUpSeconds: opts.giveUpSeconds, profile: opts.profile }, pairs, stack([bars, line]));
}
