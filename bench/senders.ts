import { performance } from "node:perf_hooks";
import type { WebSocket } from "ws";
import type { ServerChild } from "./child.js";
import { closeAll } from "./clients.js";
import { connectMany } from "./connect.js";
import { BODY, switchboard } from "./contestants.js";
import { cpuSeconds } from "./proc.js";

export interface SendersResult {
  senders: number;
  inFlight: number;
  /** Messages acknowledged (the sender's own `msg` echo, which comes only once stored) inside the window. */
  acked: number;
  seconds: number;
  perSecond: number;
  /** Send-to-echo time of the messages acknowledged inside the window. */
  p50Ms: number;
  p99Ms: number;
  /** Error frames (e.g. message.not-stored) the senders got. */
  errors: number;
  /** Server CPU seconds during the window. */
  serverCpuSeconds: number;
  /** Whether every sender's last `nr` equals the messages it had acknowledged: nothing lost, nothing doubled. */
  consistent: boolean;
}

const WARMUP_MS = 1_000;
const DRAIN_MS = 5_000;
const NR = /"nr":(\d+)/;

/**
 * One sender: alone in its room, so every `msg` frame it gets is its own echo,
 * in the order it sent them; it keeps `inFlight` messages unacknowledged,
 * sending the next as each echo arrives.
 */
class Sender {
  private readonly sentAt: number[] = [];
  acked = 0;
  lastNr = 0;
  errors = 0;

  constructor(
    private readonly ws: WebSocket,
    private readonly room: string,
    private readonly run: Run,
  ) {
    ws.on("message", (data: Buffer) => this.heard(data));
  }

  start(inFlight: number): void {
    for (let i = 0; i < inFlight; i++) this.send();
  }

  get pending(): number {
    return this.sentAt.length;
  }

  private send(): void {
    this.sentAt.push(performance.now());
    this.ws.send(JSON.stringify({ r: this.room, o: "msg", data: { body: BODY } }));
  }

  private heard(data: Buffer): void {
    // A refusal names the operation too ({"r","o":"msg","error":…}), so it is told apart first.
    if (data.includes('"error":')) {
      this.errors++;
      this.sentAt.shift();
      if (!this.run.stopped) this.send();
      return;
    }
    if (!switchboard.isDelivery(data)) return;
    const sent = this.sentAt.shift();
    this.acked++;
    this.lastNr = Number(NR.exec(data.toString("utf8"))?.[1] ?? 0);
    if (sent !== undefined) this.run.ack(performance.now() - sent);
    if (!this.run.stopped) this.send();
  }
}

/** The measuring window's shared state: acks count only while it is open. */
class Run {
  stopped = false;
  counting = false;
  acked = 0;
  readonly latencies: number[] = [];

  ack(ms: number): void {
    if (!this.counting) return;
    this.acked++;
    // A sample is plenty for percentiles and keeps memory flat at high rates.
    if (this.latencies.length < 200_000) this.latencies.push(ms);
  }
}

const percentile = (sorted: number[], p: number) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]);

async function until(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
}

/**
 * Stored-and-acknowledged messages per second: `senders` instalk clients, each
 * in a room of its own with `inFlight` messages outstanding, for `seconds`
 * after a short untimed warm-up. `tag` keeps rooms of different runs apart.
 */
export async function measureSenders(server: ServerChild, tag: string, senders: number, inFlight: number, seconds: number): Promise<SendersResult> {
  const room = (i: number) => `${tag}-${i}`;
  const sockets = await connectMany(switchboard, server.port, "pub", senders, room);
  const run = new Run();
  const all = sockets.map((ws, i) => new Sender(ws, room(i), run));
  try {
    for (const s of all) s.start(inFlight);
    await new Promise((resolve) => setTimeout(resolve, WARMUP_MS));
    const cpu0 = cpuSeconds(server.pid);
    const t0 = performance.now();
    run.counting = true;
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    run.counting = false;
    const elapsed = (performance.now() - t0) / 1000;
    const serverCpu = cpuSeconds(server.pid) - cpu0;
    run.stopped = true;
    // Let what is in flight land, so the consistency check sees every sender's last echo.
    await until(() => all.every((s) => s.pending === 0), DRAIN_MS);
    const sorted = run.latencies.sort((a, b) => a - b);
    return {
      senders,
      inFlight,
      acked: run.acked,
      seconds: elapsed,
      perSecond: run.acked / elapsed,
      p50Ms: percentile(sorted, 0.5),
      p99Ms: percentile(sorted, 0.99),
      errors: all.reduce((n, s) => n + s.errors, 0),
      serverCpuSeconds: serverCpu,
      consistent: all.every((s) => s.pending === 0 && s.lastNr === s.acked),
    };
  } finally {
    closeAll(sockets);
  }
}
