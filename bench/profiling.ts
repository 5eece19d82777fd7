// --profile DIR: one folder per profiled server under DIR, with the node flags
// that make the server write a CPU profile when it exits and a heap snapshot
// on SIGUSR2, and a manifest that tells bench/profile-summary.ts which part of
// the profile was the measurement and how many connections a snapshot holds.
import { mkdir, open, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import type { ServerChild } from "./child.js";

export interface ProfileWindow {
  label: string;
  /** Milliseconds after the server was spawned (≈ where its CPU profile starts). */
  fromMs: number;
  toMs: number;
}

export interface Manifest {
  scenario: string;
  server: string;
  /** Connections the `after` heap snapshot holds beyond the `before` one. */
  connections: number;
  windows: ProfileWindow[];
  heap: { before?: string; after?: string };
  note?: string;
}

/** The stop timeout of a profiled server: it drains, then writes its CPU profile. */
export const PROFILED_STOP_MS = 60_000;
const SNAPSHOT_MS = 180_000;

export class ProfileRun {
  readonly manifest: Manifest;

  private constructor(
    readonly dir: string,
    scenario: string,
    server: string,
    private readonly heap: boolean,
  ) {
    this.manifest = { scenario, server, connections: 0, windows: [], heap: {} };
  }

  /** A fresh folder DIR/<scenario>-<server>; what an earlier run left there is removed. */
  static async create(root: string, scenario: string, server: string, heap: boolean): Promise<ProfileRun> {
    const dir = resolve(root, `${scenario}-${server}`);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    return new ProfileRun(dir, scenario, server, heap);
  }

  /** Node flags for the server child: a CPU profile on exit (cpu), a heap snapshot per SIGUSR2 (heap). */
  nodeFlags(cpu: boolean): string[] {
    return [
      ...(cpu ? ["--cpu-prof", "--cpu-prof-dir", this.dir] : []),
      ...(this.heap ? ["--heapsnapshot-signal=SIGUSR2", "--diagnostic-dir", this.dir] : []),
    ];
  }

  /** Marks [from, to] (performance.now() of this process) as a measured window of `server`'s profile. */
  window(server: ServerChild, label: string, from: number, to: number): void {
    this.manifest.windows.push({ label, fromMs: Math.round(from - server.spawnedAt), toMs: Math.round(to - server.spawnedAt) });
  }

  /**
   * SIGUSR2 to the server, then waits for the snapshot to be written and
   * renames it `<name>.heapsnapshot`. The snapshot is taken on the server's
   * main thread, so once its file has stopped growing and (Switchboard) it
   * answers /healthz again, the file is complete.
   */
  async snapshot(server: ServerChild, name: "before" | "after", healthz: boolean): Promise<string | null> {
    if (!this.heap) return null;
    const known = new Set(await readdir(this.dir));
    process.kill(server.pid, "SIGUSR2");
    const deadline = Date.now() + SNAPSHOT_MS;
    let file: string | undefined;
    let size = -1;
    let stableSince = 0;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      file ??= (await readdir(this.dir)).find((f) => f.endsWith(".heapsnapshot") && !known.has(f));
      if (!file) continue;
      const now = (await stat(join(this.dir, file))).size;
      if (now !== size || now === 0) {
        size = now;
        stableSince = Date.now();
        continue;
      }
      if (Date.now() - stableSince < 1_000) continue;
      // A whole snapshot is one JSON object ending in "]}"; the server answering again is the other sign (Switchboard).
      if (!(await endsComplete(join(this.dir, file), now))) continue;
      if (healthz && !(await answers(server.port))) continue;
      const target = `${name}.heapsnapshot`;
      await rename(join(this.dir, file), join(this.dir, target));
      this.manifest.heap[name] = target;
      return target;
    }
    throw new Error(`no heap snapshot from pid ${server.pid} within ${SNAPSHOT_MS / 1000} s`);
  }

  async save(): Promise<void> {
    await writeFile(join(this.dir, "manifest.json"), `${JSON.stringify(this.manifest, null, 2)}\n`);
  }
}

async function endsComplete(path: string, size: number): Promise<boolean> {
  const fh = await open(path, "r");
  try {
    const tail = Buffer.alloc(Math.min(16, size));
    await fh.read(tail, 0, tail.length, size - tail.length);
    return tail.toString("latin1").trimEnd().endsWith("]}");
  } finally {
    await fh.close();
  }
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, path: "/healthz", timeout: 2_000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(false));
    req.end();
  });
}

export const now = () => performance.now();
