import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { configWith, merge } from "../../src/config/load.js";
import { createLogger } from "../../src/observability/log.js";
import { startServer, type RunningServer, type ServerParts } from "../../src/server.js";

export interface TestServer {
  server: RunningServer;
  port: number;
  url: string;
  ws: (path: string) => string;
  dataDir: string;
  /** Every log line the server wrote, parsed. */
  logs: Array<Record<string, unknown>>;
  stop(): Promise<void>;
}

type Tree = { [key: string]: unknown };

/** A real server on a free loopback port with its own temp data folder. */
export async function startTestServer(overrides: Tree = {}, dataDir?: string, parts: ServerParts = {}): Promise<TestServer> {
  const dir = dataDir ?? (await mkdtemp(join(tmpdir(), "sb-test-")));
  const logs: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString("utf8").split("\n")) if (line.trim()) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  // Every test client comes from 127.0.0.1: the per-address creation quota is raised unless a test sets it.
  const base = { port: 0, host: "127.0.0.1", data: dir, logLevel: "info", auth: { creationsPerAddress: 1_000_000 } };
  const config = configWith(merge(base, overrides));
  const server = await startServer(config, createLogger(config.logLevel, sink), parts);
  return {
    server,
    port: server.port,
    url: `http://127.0.0.1:${server.port}`,
    ws: (path) => `ws://127.0.0.1:${server.port}${path}`,
    dataDir: dir,
    logs,
    async stop() {
      await server.stop();
      if (!dataDir) await rm(dir, { recursive: true, force: true });
    },
  };
}
