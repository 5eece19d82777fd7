// A throwaway redis-server for tests: its own process on a free loopback port,
// in a temp folder, persisting nothing. Tests that need Redis skip LOUDLY when
// no redis-server binary is installed, never pass silently.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";

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

/** The redis-server binary: $REDIS_SERVER, or the first on PATH; null when none is installed. */
export function redisServerBinary(): string | null {
  const fromEnv = process.env.REDIS_SERVER;
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : null;
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const candidate = join(dir, "redis-server");
    if (dir && existsSync(candidate)) return candidate;
  }
  return null;
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

/** One PING over a raw socket; true on +PONG. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: "127.0.0.1" });
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

const live = new Set<ChildProcess>();
// A test run that dies half-way must not leave servers behind.
process.once("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

async function spawnServer(binary: string, port: number, dir: string): Promise<ChildProcess> {
  const child = spawn(binary, [
    "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
    "--dir", dir, "--protected-mode", "no", "--loglevel", "warning",
  ], { stdio: ["ignore", "ignore", "pipe"] });
  live.add(child);
  let stderr = "";
  child.stderr?.on("data", (c) => (stderr += c.toString()));
  let exited = false;
  child.once("exit", () => {
    exited = true;
    live.delete(child);
  });
  const deadline = Date.now() + 10_000;
  while (!(await ping(port))) {
    if (exited || Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`redis-server did not start on port ${port}: ${stderr.trim() || "no answer to PING"}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return child;
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGKILL");
  await gone;
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
      child = await spawnServer(binary, port, dir);
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
  let current: ChildProcess = child;
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop: async () => {
      await kill(current);
      await rm(dir, { recursive: true, force: true });
    },
    restart: async (whileDown) => {
      await kill(current);
      await whileDown?.();
      current = await spawnServer(binary, port, dir);
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
