import { spawn, type ChildProcess } from "node:child_process";
import { connect, createServer } from "node:net";
import { performance } from "node:perf_hooks";

export interface ServerChild {
  readonly pid: number;
  readonly port: number;
  /** performance.now() (this process's clock) when the child was spawned: where its CPU profile starts. */
  readonly spawnedAt: number;
  /** SIGTERM, then SIGKILL if the server has not exited in time. */
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;

/** Every child still running: killed when the bench exits, however it exits, so no server outlives a run. */
const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    process.stderr.write(`\n${signal}: stopping ${live.size} server(s)\n`);
    process.exit(130);
  });
}

/** A port nobody listens on right now (the child binds it a moment later). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

/**
 * Runs a server in its own process so its CPU and memory are its own, not
 * mixed with the clients'. Ready once the port accepts TCP connections.
 */
export async function spawnServer(args: string[], port: number, env: NodeJS.ProcessEnv = {}, stopTimeoutMs = STOP_TIMEOUT_MS): Promise<ServerChild> {
  // Extra settings go through the environment, not argv: argv shows in `ps`, and a store URL may hold a password.
  // SWITCHBOARD_TEST_PG (the tests' and this bench's PostgreSQL) is no server setting: the server would refuse it.
  const { SWITCHBOARD_TEST_PG: _testPg, ...inherited } = process.env;
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, args, { cwd: process.cwd(), stdio: ["ignore", "pipe", "pipe"], env: { ...inherited, ...env } });
  live.add(child);
  child.once("exit", () => live.delete(child));
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString("utf8")).slice(-4000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!(await accepts(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`server ${args.join(" ")} did not start:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  if (child.pid === undefined) throw new Error("server has no pid");
  const pid = child.pid;
  return {
    pid,
    port,
    spawnedAt,
    async stop() {
      child.kill("SIGTERM");
      // A profiled server writes its CPU profile as it exits: give it the time to drain and write.
      const timer = setTimeout(() => child.kill("SIGKILL"), stopTimeoutMs);
      await exited(child);
      clearTimeout(timer);
    },
  };
}
