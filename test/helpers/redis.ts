// A throwaway redis-server for tests: its own process on a free loopback port,
// in a temp folder, persisting nothing. Tests that need Redis skip LOUDLY when
// no redis-server binary is installed, never pass silently.
import type { ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { killRedisServer, redisServerBinary, spawnRedisServer } from "../../scripts/redis-server.js";

export interface TestRedis {
  url: string;
  port: number;
  /** Kills the server (SIGKILL: an outage, not a shutdown) and removes its folder. */
  stop: () => Promise<void>;
  /**
   * Kills the server and starts a fresh one on the same port (an outage; no
   * data survives). `whileDown` runs between the two, to act during the outage.
   */
  restart: (whileDown?: () => Promise<void>) => Promise<void>;
}

/**
 * Why Redis tests skip, or null when they can run. Prints a loud warning once
 * when skipping, so a missing binary is seen in the test output.
 */
let warned = false;
export function redisSkipReason(): string | null {
  if (redisServerBinary()) return null;
  const reason = "redis-server is not installed (set REDIS_SERVER or put it on PATH): Redis tests are SKIPPED, not passed";
  if (!warned) {
    warned = true;
    console.warn(`\n${"!".repeat(100)}\n!!! ${reason}\n${"!".repeat(100)}\n`);
  }
  return reason;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Starts a throwaway server; callers check `redisSkipReason()` first. */
export async function startRedis(): Promise<TestRedis> {
  const binary = redisServerBinary();
  if (!binary) throw new Error(redisSkipReason() ?? "redis-server missing");
  const dir = await mkdtemp(join(tmpdir(), "switchboard-redis-"));
  let port = 0;
  let child: ChildProcess | null = null;
  // Another process may take the free port between the probe and the spawn: try a few.
  for (let attempt = 1; !child; attempt++) {
    port = await freePort();
    try {
      child = await spawnRedisServer(binary, port, dir);
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
  let current: ChildProcess = child;
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop: async () => {
      await killRedisServer(current);
      await rm(dir, { recursive: true, force: true });
    },
    restart: async (whileDown) => {
      await killRedisServer(current);
      await whileDown?.();
      current = await spawnRedisServer(binary, port, dir);
    },
  };
}

/**
 * A throwaway server for the enclosing `describe`: started before its tests,
 * stopped after them. Returns the way to reach it once started.
 */
export function useRedis(hooks: { before: (fn: () => Promise<void>) => void; after: (fn: () => Promise<void>) => void }): () => TestRedis {
  let server: TestRedis | undefined;
  hooks.before(async () => {
    server = await startRedis();
  });
  hooks.after(async () => {
    await server?.stop();
  });
  return () => {
    if (!server) throw new Error("redis-server not started");
    return server;
  };
}
