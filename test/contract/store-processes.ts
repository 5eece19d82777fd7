import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { StoreLocation } from "./store-location.js";
import type { Job } from "./store-worker.js";

/** What a worker printed last: its tag and count, plus the job's own findings. */
export interface WorkerReport {
  tag: string;
  count: number;
  /** append: whether the worker's own seqs rose in the order it made its appends. */
  increasing?: boolean;
  /** ban, increment: compare-and-swaps it lost and retried. */
  lost?: number;
  [key: string]: unknown;
}

const WORKER = fileURLToPath(new URL("./store-worker.ts", import.meta.url));

interface Worker {
  ready: Promise<void>;
  report: Promise<WorkerReport>;
  go(): void;
  kill(): void;
}

function startWorker(location: StoreLocation, job: Job, count: number, tag: string): Worker {
  const child = spawn(process.execPath, ["--import", "tsx", WORKER, JSON.stringify(location), job, String(count), tag], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  child.stdin.on("error", () => undefined); // a worker that died early is reported through its exit
  let out = "";
  let err = "";
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  child.stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString("utf8");
    if (out.includes("ready\n")) markReady();
  });
  child.stderr.on("data", (chunk: Buffer) => (err = (err + chunk.toString("utf8")).slice(-4000)));
  const report = new Promise<WorkerReport>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => {
      const last = out.trim().split("\n").pop() ?? "";
      if (code === 0 && last.startsWith("{")) resolve(JSON.parse(last) as WorkerReport);
      else reject(new Error(`store worker ${tag} (${job}) exited with ${code}:\n${err}`));
    });
  });
  // A worker that dies before "ready" must not leave the caller waiting for it.
  const readyOrDead = Promise.race([ready, report.then(() => undefined)]);
  return { ready: readyOrDead, report, go: () => child.stdin.write("go\n"), kill: () => child.kill("SIGKILL") };
}

/**
 * Runs `job` once per tag, each in its own OS process with its own store on
 * `location`, all released at the same moment once every one has opened its store.
 */
export async function runInProcesses(location: StoreLocation, job: Job, count: number, tags: string[]): Promise<WorkerReport[]> {
  const workers = tags.map((tag) => startWorker(location, job, count, tag));
  try {
    await Promise.all(workers.map((w) => w.ready));
    for (const w of workers) w.go();
    return await Promise.all(workers.map((w) => w.report));
  } finally {
    for (const w of workers) w.kill();
  }
}
