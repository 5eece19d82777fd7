// The parent's side of the client processes (client-worker.ts): the join and
// latency scenarios spread their raw clients over a few processes so that the
// clients' side is not what sets the pace on a small machine.
import { fork, type ChildProcess } from "node:child_process";

export type Handshake = "none" | "instalk";

export interface OpenSpec {
  port: number;
  /** Request path of the upgrade, query included. */
  path: string;
  count: number;
  handshake: Handshake;
  room: string;
  /** Members per room (each client process its own rooms): rooms `room-<pid>-<k>` instead of one room for all; 0: one room. */
  roomSize: number;
  /** Connections each worker opens (and hand-shakes) at once. */
  parallel: number;
  /** Date.now() past which a worker gives up what it has not opened. */
  deadline: number;
}

export type ToWorker = ({ type: "open" } & OpenSpec) | { type: "count" } | { type: "close" };

export type ToParent =
  | { type: "ready" }
  | { type: "progress"; opened: number }
  | { type: "opened"; opened: number; ms: number }
  | { type: "error"; message: string; opened: number }
  | { type: "count"; frames: number; closed: number; cpuSeconds: number };

export interface Counts {
  frames: number;
  closed: number;
  /** CPU seconds every client process used so far, summed. */
  cpuSeconds: number;
}

export interface Opened {
  opened: number;
  /** The first worker's error, when any worker could not open its share. */
  error?: string;
}

const READY_MS = 30_000;
const CLOSE_MS = 3_000;

class Worker {
  opened = 0;
  private readonly waiting = new Map<ToParent["type"], Array<(msg: ToParent) => void>>();

  constructor(readonly child: ChildProcess) {
    child.on("message", (msg: ToParent) => {
      if (msg.type === "progress") this.opened = msg.opened;
      if (msg.type === "opened" || msg.type === "error") this.opened = msg.opened;
      const queue = this.waiting.get(msg.type === "error" ? "opened" : msg.type);
      queue?.shift()?.(msg);
    });
  }

  next<T extends ToParent["type"]>(type: T, timeoutMs: number): Promise<Extract<ToParent, { type: T }> | { type: "error"; message: string; opened: number }> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => done({ type: "error", message: `client process did not answer "${type}" within ${timeoutMs} ms`, opened: this.opened }), timeoutMs);
      const onExit = () => done({ type: "error", message: `client process exited (${this.child.exitCode ?? this.child.signalCode})`, opened: this.opened });
      const done = (msg: ToParent) => {
        clearTimeout(timer);
        this.child.off("exit", onExit);
        resolve(msg as Extract<ToParent, { type: T }>);
      };
      this.child.once("exit", onExit);
      const queue = this.waiting.get(type) ?? [];
      queue.push(done);
      this.waiting.set(type, queue);
    });
  }

  send(msg: ToWorker): void {
    if (this.child.connected) this.child.send(msg);
  }
}

export class ClientPool {
  private constructor(private readonly workers: Worker[]) {}

  /** Forks `n` client processes and waits until each is ready. */
  static async start(n: number): Promise<ClientPool> {
    const workers = Array.from({ length: n }, () =>
      new Worker(fork("bench/client-worker.ts", [], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] })),
    );
    const pool = new ClientPool(workers);
    const ready = await Promise.all(workers.map((w) => w.next("ready", READY_MS)));
    const failed = ready.find((r) => r.type === "error");
    if (failed && failed.type === "error") {
      await pool.close();
      throw new Error(failed.message);
    }
    return pool;
  }

  get size(): number {
    return this.workers.length;
  }

  /** Clients opened (and hand-shaken) so far, as last reported. */
  get opened(): number {
    return this.workers.reduce((n, w) => n + w.opened, 0);
  }

  /** Opens `spec.count` clients split evenly over the processes; resolves when all are open, or some process gave up. */
  async open(spec: OpenSpec): Promise<Opened> {
    const share = (i: number) => Math.floor(spec.count / this.workers.length) + (i < spec.count % this.workers.length ? 1 : 0);
    const answers = this.workers.map((w, i) => {
      if (share(i) === 0) return Promise.resolve({ type: "opened" as const, opened: 0, ms: 0 });
      const answer = w.next("opened", Math.max(0, spec.deadline - Date.now()) + 10_000);
      w.send({ type: "open", ...spec, count: share(i) });
      return answer;
    });
    const results = await Promise.all(answers);
    const error = results.find((r) => r.type === "error");
    return { opened: results.reduce((n, r) => n + r.opened, 0), ...(error && error.type === "error" ? { error: error.message } : {}) };
  }

  /** Frames every client received so far, summed over the processes, and their CPU time. */
  async count(): Promise<Counts> {
    const answers = this.workers.map((w) => {
      const answer = w.next("count", 10_000);
      w.send({ type: "count" });
      return answer;
    });
    const out: Counts = { frames: 0, closed: 0, cpuSeconds: 0 };
    for (const a of await Promise.all(answers)) {
      if (a.type !== "count") throw new Error(a.message);
      out.frames += a.frames;
      out.closed += a.closed;
      out.cpuSeconds += a.cpuSeconds;
    }
    return out;
  }

  /** Closes every client and ends every process (SIGKILL for one that does not go in time). */
  async close(): Promise<void> {
    await Promise.all(
      this.workers.map(async ({ child }) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
        if (child.connected) child.send({ type: "close" } satisfies ToWorker);
        const timer = setTimeout(() => child.kill("SIGKILL"), CLOSE_MS);
        await gone;
        clearTimeout(timer);
      }),
    );
  }
}
