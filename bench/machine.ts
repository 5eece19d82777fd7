import { cpus, loadavg, totalmem } from "node:os";

/** The machine a result came from, and how busy it was before and after: numbers mean little without it. */
export function machine(loadBefore: number) {
  return {
    cpus: cpus().length, cpuModel: cpus()[0]?.model ?? "unknown", memoryBytes: totalmem(), node: process.version,
    loadAverage: { before: loadBefore, after: loadavg()[0] },
  };
}
