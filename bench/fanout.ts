import { performance } from "node:perf_hooks";
import type { WebSocket } from "ws";
import type { ServerChild } from "./child.js";
import { closeAll } from "./clients.js";
import { connectMany } from "./connect.js";
import { BODY, type Contestant } from "./contestants.js";
import { cpuSeconds, ownCpuSeconds } from "./proc.js";

export interface FanoutOptions {
  clients: number;
  messages: number;
  /** Longest a measured round may take before it is cut off and reported as incomplete. */
  capSeconds: number;
}

export interface FanoutResult {
  clients: number;
  messages: number;
  /** Deliveries counted by the clients (messages × clients when complete). */
  delivered: number;
  complete: boolean;
  seconds: number;
  perSecond: number;
  /** CPU the server process used during the round: throughput per core, free of client noise. */
  serverCpuSeconds: number;
  perServerCpuSecond: number;
  /** CPU the bench process (all the clients) used during the round, as a share of one core. */
  clientCpuShare: number;
  /** Size of one delivered message frame's payload, to compare protocol envelopes. */
  frameBytes: number;
  /** Time to connect and hand-shake (init, join) every client: joins are not free in every protocol. */
  setupSeconds: number;
  /** deliveries/s of every measured round; the fields above are the median round's. */
  rounds: number[];
}

type Round = Omit<FanoutResult, "clients" | "messages" | "frameBytes" | "setupSeconds" | "rounds">;

const MAX_ROUNDS = 3;
const REPEAT_WHILE_UNDER_S = 8;

/** The room every client joins, its counters, and the publisher. */
class Room {
  private readonly counts: Uint32Array;
  private target = 0;
  private done = 0;
  private finish: (() => void) | null = null;
  frameBytes = 0;

  constructor(
    private readonly c: Contestant,
    private readonly receivers: WebSocket[],
    private readonly publisher: WebSocket,
  ) {
    this.counts = new Uint32Array(receivers.length);
    // One listener per client for the whole run, none per message.
    receivers.forEach((ws, i) => ws.on("message", (data: Buffer) => this.heard(i, data)));
  }

  private heard(i: number, data: Buffer): void {
    if (!this.c.isDelivery(data)) return;
    this.frameBytes = data.length;
    if (++this.counts[i] === this.target && ++this.done === this.counts.length) this.finish?.();
  }

  /** Publishes `count` messages and waits until every receiver has all of them, or the cap. */
  async round(count: number, capSeconds: number, serverPid: number): Promise<Round> {
    this.counts.fill(0);
    this.done = 0;
    this.target = count;
    const all = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), capSeconds * 1000);
      this.finish = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
    const cpu0 = cpuSeconds(serverPid);
    const own0 = ownCpuSeconds();
    const t0 = performance.now();
    for (let i = 0; i < count; i++) this.publisher.send(this.c.message(i, BODY));
    const complete = await all;
    const seconds = (performance.now() - t0) / 1000;
    const serverCpu = cpuSeconds(serverPid) - cpu0;
    const clientCpu = ownCpuSeconds() - own0;
    this.finish = null;
    let delivered = 0;
    for (const n of this.counts) delivered += Math.min(n, count);
    return {
      delivered,
      complete,
      seconds,
      perSecond: delivered / seconds,
      serverCpuSeconds: serverCpu,
      perServerCpuSecond: serverCpu > 0 ? delivered / serverCpu : 0,
      clientCpuShare: clientCpu / seconds,
    };
  }
}

/**
 * Fan-out throughput: N receivers in one room, one publisher (not a receiver)
 * sends M messages as fast as it can; the clock stops when every receiver has
 * every message. A short untimed warm-up round lets the JIT settle first.
 */
export async function fanout(c: Contestant, server: ServerChild, opts: FanoutOptions): Promise<FanoutResult> {
  const t0 = performance.now();
  const receivers = await connectMany(c, server.port, "sub", opts.clients, () => "bench");
  const [publisher] = await connectMany(c, server.port, "pub", 1, () => "bench");
  const setupSeconds = (performance.now() - t0) / 1000;
  try {
    const room = new Room(c, receivers, publisher);
    const warm = await room.round(Math.max(10, Math.floor(opts.messages / 10)), opts.capSeconds, server.pid);
    if (!warm.complete) throw new Error(`${c.label}: warm-up did not complete within ${opts.capSeconds}s`);
    // A fast contestant's round lasts about a second, where one GC pause or checkpoint
    // shows; measure it a few times and keep the median. A slow one gets one round.
    const rounds: Round[] = [];
    let spent = 0;
    do {
      const r = await room.round(opts.messages, opts.capSeconds, server.pid);
      rounds.push(r);
      spent += r.seconds;
      if (!r.complete) break;
    } while (rounds.length < MAX_ROUNDS && spent < REPEAT_WHILE_UNDER_S);
    const median = [...rounds].sort((a, b) => a.perSecond - b.perSecond)[Math.floor(rounds.length / 2)];
    return {
      clients: opts.clients, messages: opts.messages, frameBytes: room.frameBytes, setupSeconds,
      ...median, rounds: rounds.map((r) => Math.round(r.perSecond)),
    };
  } finally {
    closeAll([...receivers, publisher]);
  }
}
