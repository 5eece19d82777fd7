import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { initialised, newRoom, nrs, range, type Frame, type Peer } from "../helpers/instalk.js";
import { TestClient } from "../helpers/ws-client.js";

/** A port nobody listens on right now. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** The real CLI as a child process, on a fixed port and data folder. */
class ServerProcess {
  readonly exited: Promise<Exit>;
  private exit: Exit | null = null;
  private stderr = "";

  constructor(readonly proc: ChildProcess) {
    proc.stderr?.on("data", (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) =>
      proc.once("exit", (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      }),
    );
  }

  static async start(port: number, data: string): Promise<ServerProcess> {
    const args = ["--import", "tsx", "src/cli.ts", "start", "--port", String(port), "--host", "127.0.0.1", "--data", data, "--log-level", "warn"];
    args.push("--set", "limits.messagesPerSecond=100000", "--set", "limits.burst=100000", "--set", "drainMs=5000");
    const child = new ServerProcess(spawn(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"] }));
    live.add(child);
    await child.ready(port);
    return child;
  }

  /** Polls /readyz until it answers 200. */
  private async ready(port: number): Promise<void> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (this.exit) assert.fail(`server exited early (${JSON.stringify(this.exit)}): ${this.stderr}`);
      const res = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null);
      if (res?.status === 200) return;
      if (Date.now() > deadline) assert.fail(`server not ready after 15 s: ${this.stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Sends `signal` and resolves with how (and how fast) the process ended. */
  async kill(signal: NodeJS.Signals): Promise<Exit & { ms: number }> {
    const started = Date.now();
    this.proc.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const exit = await Promise.race([this.exited, new Promise<null>((r) => (timer = setTimeout(() => r(null), 8000)))]);
    clearTimeout(timer);
    assert.ok(exit, `no exit within 8 s of ${signal}`);
    live.delete(this);
    return { ...exit, ms: Date.now() - started };
  }
}

const live = new Set<ServerProcess>();
const dirs: string[] = [];

async function peer(port: number): Promise<Peer> {
  return initialised(await TestClient.connect(`ws://127.0.0.1:${port}/websocket`));
}

/** A fresh process on a fresh data folder, one room with `count` messages the sender has seen come back. */
async function seeded(count: number): Promise<{ port: number; data: string; server: ServerProcess; r: string; sender: Peer; seen: Frame[] }> {
  const data = await mkdtemp(join(tmpdir(), "sb-restart-"));
  dirs.push(data);
  const port = await freePort();
  const server = await ServerProcess.start(port, data);
  const r = newRoom("restart");
  const sender = await peer(port);
  await sender.join(r);
  for (let i = 1; i <= count; i++) sender.say(r, `m${i}`);
  const seen = await sender.msgs(r, count);
  assert.deepEqual(nrs(seen), range(1, count));
  return { port, data, server, r, sender, seen };
}

/** After a restart: sync from 1 returns every event in order, and the next message continues the count. */
async function assertIntact(port: number, r: string, seen: Frame[]): Promise<void> {
  const p = await peer(port);
  await p.join(r);
  const stored: Frame[] = [];
  for (let more = true; more; ) {
    const page = await p.history(r, "sync", { from: stored.length + 1 });
    stored.push(...page.messages);
    more = page.more;
  }
  assert.deepEqual(nrs(stored), range(1, stored.length), "gapless");
  assert.ok(stored.length >= seen.length, `${stored.length} stored, ${seen.length} seen before the stop`);
  assert.deepEqual(stored.slice(0, seen.length), seen, "every event a client saw is stored, byte for byte");
  assert.deepEqual(stored.map((f) => f.data.body), range(1, stored.length).map((i) => `m${i}`));
  const next = await p.said(r, "after restart");
  assert.equal(next.data.nr, stored.length + 1);
  p.c.close();
}

describe("instalk across a server restart (real process)", () => {
  after(async () => {
    for (const child of live) child.proc.kill("SIGKILL");
    await Promise.all([...live].map((c) => c.exited));
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  it("SIGTERM: clients get a 1001 close, the process exits 0 promptly, and a restart keeps all history", async () => {
    const { port, data, server, r, sender, seen } = await seeded(120);
    const exit = await server.kill("SIGTERM");
    assert.deepEqual({ code: exit.code, signal: exit.signal }, { code: 0, signal: null });
    assert.ok(exit.ms < 5000, `drain took ${exit.ms} ms`);
    assert.equal((await sender.c.waitClose()).code, 1001);
    const again = await ServerProcess.start(port, data);
    await assertIntact(port, r, seen);
    await again.kill("SIGTERM");
  });

  it("SIGKILL: nothing a client saw is lost, and numbering continues without a gap", async () => {
    const { port, data, server, r, sender, seen } = await seeded(200);
    // More messages still in flight when the process dies: each is either wholly kept or never existed.
    for (let i = 201; i <= 400; i++) sender.say(r, `m${i}`);
    seen.push(await sender.op(r, "msg"));
    const exit = await server.kill("SIGKILL");
    assert.equal(exit.signal, "SIGKILL");
    for (;;) {
      const f = await sender.next().catch(() => null);
      if (!f) break;
      if (f.o === "msg") seen.push(f);
    }
    const again = await ServerProcess.start(port, data);
    await assertIntact(port, r, seen);
    await again.kill("SIGKILL");
  });
});
