// Processes for the cluster scenario: an own throwaway redis-server on a free
// loopback port, and N Switchboard nodes on one store (and that Redis), each a
// child process of its own so its CPU time can be read from /proc.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, type ServerChild } from "./child.js";
import { startSwitchboard } from "./contestants.js";

export interface BenchRedis {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** $REDIS_SERVER, or redis-server on PATH; null when there is none. */
export function redisBinary(): string | null {
  if (process.env.REDIS_SERVER) return existsSync(process.env.REDIS_SERVER) ? process.env.REDIS_SERVER : null;
  return spawnSync("sh", ["-c", "command -v redis-server"], { encoding: "utf8" }).stdout.trim() || null;
}

function pong(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let reply = "";
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once("error", () => done(false));
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.on("data", (chunk) => {
      reply += chunk.toString();
      if (reply.includes("\r\n")) done(reply.startsWith("+PONG"));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

/** A redis-server that keeps nothing on disk, in a temp folder removed by stop(). */
export async function startRedis(binary: string): Promise<BenchRedis> {
  const dir = await mkdtemp(join(tmpdir(), "sb-bench-redis-"));
  const port = await freePort();
  const child = spawn(binary, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, "--loglevel", "warning"], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (c: Buffer) => (stderr = (stderr + c.toString()).slice(-2000)));
  const stop = async () => {
    child.kill("SIGKILL");
    await exited(child);
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  while (!(await pong(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`redis-server did not start on port ${port}: ${stderr.trim() || "no answer to PING"}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return { url: `redis://127.0.0.1:${port}`, pid: child.pid!, stop };
}

/**
 * `count` nodes on one store (and broker, when `brokerUrl` is set). The first
 * starts alone: it migrates the schema and, in a fleet, makes the fleet's
 * secrets that the others read. Settings go through the environment (a store
 * URL may hold a password; argv shows in `ps`).
 */
export async function startNodes(count: number, storeUrl: string, brokerUrl: string): Promise<ServerChild[]> {
  const nodes: ServerChild[] = [];
  // By index, so node i is bench-(i+1) whatever order they come up in.
  const start = async (i: number) => {
    const env: NodeJS.ProcessEnv = { SWITCHBOARD_STORE: storeUrl, SWITCHBOARD_NODE_ID: `bench-${i + 1}` };
    if (brokerUrl) env.SWITCHBOARD_BROKER = brokerUrl;
    nodes[i] = await startSwitchboard(await freePort(), env);
  };
  try {
    await start(0);
    const rest = await Promise.allSettled(Array.from({ length: count - 1 }, (_, i) => start(i + 1)));
    const failed = rest.find((r) => r.status === "rejected");
    if (failed) throw (failed as PromiseRejectedResult).reason;
    return nodes;
  } catch (err) {
    await Promise.all(nodes.filter(Boolean).map((n) => n.stop()));
    throw err;
  }
}
