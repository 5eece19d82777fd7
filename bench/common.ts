// Small things the idle, join and latency scenarios share: printing, tables,
// progress lines and writing bench/results/<scenario>.{json,svg}.
import { mkdir, writeFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import { machine } from "./machine.js";

export const say = (line: string) => process.stdout.write(line);
export const num = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
export const percentile = (sorted: number[], p: number) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]);
export const mib = (bytes: number) => bytes / 1024 / 1024;

/** The 1-minute load average now, with a note when it is high for this machine. */
export function loadNow(what: string): number {
  const load = loadavg()[0];
  if (load > cpus().length / 2) say(`note: load average ${load.toFixed(1)} on ${cpus().length} cores; ${what}\n`);
  return load;
}

/** Prints `line()` every `ms` while `work` runs: a long measurement shows it is alive. */
export async function withProgress<T>(work: Promise<T>, line: () => string, ms = 2_000): Promise<T> {
  const timer = setInterval(() => say(`  … ${line()}\n`), ms);
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}

/** An aligned text table; the first column left-aligned, the rest right-aligned. */
export function textTable(header: string[], lines: string[][]): string {
  const widths = header.map((h, col) => Math.max(h.length, ...lines.map((l) => (l[col] ?? "").length)));
  const format = (cells: string[]) => cells.map((c, col) => (col === 0 ? c.padEnd(widths[col]) : c.padStart(widths[col]))).join("  ");
  return [format(header), widths.map((w) => "-".repeat(w)).join("  "), ...lines.map(format)].join("\n");
}

/** bench/results/<scenario>.json (with the machine and its load) and, when given, <scenario>.svg. */
export async function writeResults(scenario: string, loadBefore: number, options: unknown, results: unknown, svg: string | null): Promise<void> {
  await mkdir("bench/results", { recursive: true });
  const json = `bench/results/${scenario}.json`;
  await writeFile(json, `${JSON.stringify({ date: new Date().toISOString(), machine: machine(loadBefore), options, results }, null, 2)}\n`);
  say(`\nwritten to ${json}`);
  if (svg) {
    await writeFile(`bench/results/${scenario}.svg`, svg);
    say(` and bench/results/${scenario}.svg`);
  }
  say("\n");
}

/** "load 3.2 → 4.1, 2 × <cpu model>": the small print of a chart. */
export function machineNote(loadBefore: number): string {
  const m = machine(loadBefore);
  return `${new Date().toISOString().slice(0, 10)}, ${m.cpus} × ${m.cpuModel}, Node ${m.node}, load average ${m.loadAverage.before.toFixed(1)} → ${m.loadAverage.after.toFixed(1)}`;
}
