// Processes for the cluster scenario: an own throwaway redis-server on a free
// loopback port, and N Switchboard nodes on one store (and that Redis), each a
// child process of its own so its CPU time can be read from /proc.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { killRedisServer, spawnRedisServer } from "../scripts/redis-server.js";
import { freePort, type ServerChild } from "./child.js";
import { startSwitchboard } from "./contestants.js";

export { redisServerBinary as redisBinary } from "../scripts/redis-server.js";

export interface BenchRedis {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** A redis-server that keeps nothing on disk, in a temp folder removed by stop(). */
export async function startRedis(binary: string): Promise<BenchRedis> {
  const dir = await mkdtemp(join(tmpdir(), "sb-bench-redis-"));
  const port = await freePort();
  const removeDir = () => rm(dir, { recursive: true, force: true });
  const child = await spawnRedisServer(binary, port, dir).catch(async (error: unknown) => {
    await removeDir();
    throw error;
  });
  const stop = async () => {
    await killRedisServer(child);
    await removeDir();
  };
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
