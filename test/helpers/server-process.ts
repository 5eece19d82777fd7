// The real CLI as a child process, for tests that kill it (-9) or signal it
// and start it again on the same data: what no in-process server can show.
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const ROOT = join(import.meta.dirname, "..", "..");

export class ServerProcess {
  readonly exited: Promise<Exit>;
  private stderr = "";
  private done: Exit | null = null;

  private constructor(
    readonly port: number,
    private readonly proc: ChildProcess,
  ) {
    proc.stderr?.on("data", (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString("utf8")).slice(-4000)));
    this.exited = new Promise((resolve) => proc.once("exit", (code, signal) => resolve((this.done = { code, signal }))));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  ws(path: string): string {
    return `ws://127.0.0.1:${this.port}${path}`;
  }

  /** `switchboard start` on `port` and `data`, with `settings` as `--set key=value`; resolves once /readyz answers 200. */
  static async start(port: number, data: string, settings: Record<string, string | number | boolean> = {}, timeoutMs = 30_000): Promise<ServerProcess> {
    const args = ["--import", "tsx", "src/cli.ts", "start", "--port", String(port), "--host", "127.0.0.1", "--data", data, "--log-level", "warn"];
    for (const [key, value] of Object.entries(settings)) args.push("--set", `${key}=${value}`);
    const server = new ServerProcess(port, spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] }));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (server.done) throw new Error(`server exited early (${JSON.stringify(server.done)}): ${server.stderr}`);
      const res = await fetch(`${server.url}/readyz`).catch(() => null);
      if (res?.status === 200) return server;
      if (Date.now() > deadline) {
        server.proc.kill("SIGKILL");
        throw new Error(`server not ready after ${timeoutMs} ms: ${server.stderr}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Sends `signal` and waits for the exit. */
  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<Exit> {
    if (!this.done) this.proc.kill(signal);
    return this.exited;
  }
}
