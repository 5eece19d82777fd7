// A throwaway redis-server, for the tests and the bench alike (the bench may not
// import from test/): its own process on a loopback port, persisting nothing.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { createConnection } from "node:net";
import { delimiter, join } from "node:path";

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
// A run that dies half-way must not leave servers behind.
process.once("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

/** SIGKILL (an outage, not a shutdown), resolved once the process is gone. */
export async function killRedisServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGKILL");
  await gone;
}

/**
 * Starts redis-server on `port` with `dir` as its working folder, resolved once
 * it answers PING. One that exits or stays silent for 10 s is killed, and the
 * call throws with what it wrote to stderr.
 */
export async function spawnRedisServer(binary: string, port: number, dir: string): Promise<ChildProcess> {
  const child = spawn(binary, [
    "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
    "--dir", dir, "--protected-mode", "no", "--loglevel", "warning",
  ], { stdio: ["ignore", "ignore", "pipe"] });
  live.add(child);
  child.once("exit", () => live.delete(child));
  let stderr = "";
  child.stderr?.on("data", (c: Buffer) => (stderr = (stderr + c.toString()).slice(-2000)));
  const deadline = Date.now() + 10_000;
  while (!(await ping(port))) {
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      await killRedisServer(child);
      throw new Error(`redis-server did not start on port ${port}: ${stderr.trim() || "no answer to PING"}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return child;
}
