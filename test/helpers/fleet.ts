// A real fleet for end-to-end tests: N switchboard server processes on free
// loopback ports sharing one throwaway PostgreSQL database and one throwaway
// redis-server, with HAProxy (round-robin, no stickiness) in front. Nodes can
// be killed (-9), stopped (SIGTERM) and restarted; everything is removed after.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTempDatabase } from "./pg.js";
import { startRedis, type TestRedis } from "./redis.js";

export const ADMIN_KEY = "fleet-test-admin-key-0123456789";

export interface FleetNode {
  readonly id: string;
  readonly port: number;
  readonly url: string;
  ws(path: string): string;
  /** Every log line the process wrote, parsed. */
  readonly logs: Array<Record<string, unknown>>;
  readonly running: boolean;
}

export interface Fleet {
  nodes: FleetNode[];
  /** The load balancer in front of every node: round-robin, no stickiness. */
  balancer: { port: number; url: string; ws(path: string): string };
  redis: TestRedis;
  storeUrl: string;
  kill(i: number): Promise<void>;
  /** SIGTERM: a clean drain. */
  stop(i: number): Promise<void>;
  restart(i: number): Promise<void>;
  close(): Promise<void>;
}

export async function freePort(): Promise<number> {
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

export function haproxyBinary(): string | null {
  for (const p of ["/usr/sbin/haproxy", "/usr/bin/haproxy", "/usr/local/sbin/haproxy"]) if (existsSync(p)) return p;
  const found = spawnSync("sh", ["-c", "command -v haproxy"], { encoding: "utf8" }).stdout.trim();
  return found || null;
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const ready = async (url: string) => (await fetch(`${url}/readyz`)).status === 200;

class NodeProcess implements FleetNode {
  readonly url: string;
  readonly logs: Array<Record<string, unknown>> = [];
  private child: ChildProcess | null = null;
  private stderr = "";

  constructor(
    readonly id: string,
    readonly port: number,
    private readonly args: string[],
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  ws(path: string): string {
    return `ws://127.0.0.1:${this.port}${path}`;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(): Promise<void> {
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli.ts", "start", ...this.args], {
      cwd: join(import.meta.dirname, "..", ".."),
      env: { ...process.env, SWITCHBOARD_AUTH__ADMIN_KEY: ADMIN_KEY },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child = child;
    let partial = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      const lines = (partial + chunk.toString("utf8")).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) {
        try {
          if (line.trim()) this.logs.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          this.logs.push({ text: line });
        }
      }
    });
    child.stderr!.on("data", (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString("utf8")).slice(-4000)));
    const exited = new Promise<never>((_, reject) => child.once("exit", (code) => reject(new Error(`node ${this.id} exited (${code}) while starting: ${this.stderr}`))));
    exited.catch(() => undefined);
    await Promise.race([waitFor(`node ${this.id} ready`, () => ready(this.url), 60_000), exited]);
  }

  async signal(sig: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill(sig);
    await gone;
  }
}

export interface FleetOptions {
  nodes?: number;
  /** Extra `--set key=value` settings for every node. */
  settings?: Record<string, string | number | boolean>;
}

/** Why a fleet cannot be started here (a missing binary or database), or null. */
export function fleetSkipReason(): string | null {
  if (!haproxyBinary()) return "haproxy is not installed (apt-get install haproxy; .ci/run does): fleet tests SKIPPED";
  return null;
}

export async function startFleet(opts: FleetOptions = {}): Promise<Fleet> {
  const count = opts.nodes ?? 3;
  const cleanups: Array<() => Promise<void>> = [];
  const cleanup = async () => {
    for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
  };
  try {
    const redis = await startRedis();
    cleanups.push(() => redis.stop());
    const db = await createTempDatabase();
    if (!db) throw new Error("PostgreSQL is not reachable (SWITCHBOARD_TEST_PG): the fleet needs it");
    cleanups.push(() => db.drop());
    const dir = await mkdtemp(join(tmpdir(), "sb-fleet-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));

    const settings: Record<string, string | number | boolean> = {
      "cluster.heartbeatMs": 300,
      "cluster.deadAfterMs": 3000,
      "cluster.positionCheckMs": 1000,
      "auth.creationsPerAddress": 1_000_000,
      ...opts.settings,
    };
    const nodes: NodeProcess[] = [];
    for (let i = 0; i < count; i++) {
      const port = await freePort();
      const id = `n${i + 1}`;
      const args = [
        "--port", String(port), "--host", "127.0.0.1", "--data", join(dir, id), "--node-id", id,
        "--store", db.url, "--broker", redis.url, "--log-level", "info",
        "--set", 'trustedProxies=["127.0.0.1"]',
        ...Object.entries(settings).flatMap(([k, v]) => ["--set", `${k}=${v}`]),
      ];
      nodes.push(new NodeProcess(id, port, args));
    }
    cleanups.push(async () => {
      await Promise.all(nodes.map((n) => n.signal("SIGKILL")));
    });
    // One at a time first (the first migrates the schema and makes the fleet's secrets), then the rest at once.
    await nodes[0].start();
    await Promise.all(nodes.slice(1).map((n) => n.start()));

    const lbPort = await freePort();
    const cfg = join(dir, "haproxy.cfg");
    await writeFile(
      cfg,
      [
        "global", "  maxconn 4000",
        "defaults", "  mode http", "  timeout connect 2s", "  timeout client 120s", "  timeout server 120s", "  timeout tunnel 1h", "  option forwardfor",
        "frontend fe", `  bind 127.0.0.1:${lbPort}`, "  default_backend nodes",
        "backend nodes", "  balance roundrobin", "  option httpchk GET /readyz",
        ...nodes.map((n) => `  server ${n.id} 127.0.0.1:${n.port} check inter 300 fall 2 rise 1`),
        "",
      ].join("\n"),
    );
    const haproxy = spawn(haproxyBinary()!, ["-f", cfg, "-db"], { stdio: ["ignore", "ignore", "pipe"] });
    cleanups.push(async () => {
      if (haproxy.exitCode === null) {
        const gone = new Promise<void>((resolve) => haproxy.once("exit", () => resolve()));
        haproxy.kill("SIGKILL");
        await gone;
      }
    });
    const balancer = { port: lbPort, url: `http://127.0.0.1:${lbPort}`, ws: (path: string) => `ws://127.0.0.1:${lbPort}${path}` };
    await waitFor("haproxy", () => ready(balancer.url));

    return {
      nodes,
      balancer,
      redis,
      storeUrl: db.url,
      kill: (i) => nodes[i].signal("SIGKILL"),
      stop: (i) => nodes[i].signal("SIGTERM"),
      restart: async (i) => {
        await nodes[i].signal("SIGKILL");
        await nodes[i].start();
      },
      close: cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** GET /api/cluster on a node, with the admin key. */
export async function clusterNodes(url: string): Promise<Array<{ id: string; connections: Record<string, number> }>> {
  const res = await fetch(`${url}/api/cluster`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
  if (res.status !== 200) throw new Error(`/api/cluster answered ${res.status}`);
  return ((await res.json()) as { nodes: Array<{ id: string; connections: Record<string, number> }> }).nodes;
}
