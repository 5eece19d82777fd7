import type { FanoutResult } from "./fanout.js";
import type { IdleResult } from "./idle.js";

export interface Row {
  key: string;
  label: string;
  fanout: FanoutResult | null;
  idle: IdleResult | null;
  error?: string;
}

const BASELINE = "ws";

const num = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const ratio = (value: number | undefined, base: number | undefined) =>
  value === undefined || base === undefined || base === 0 ? "-" : `${num(value / base, 2)}×`;

/** The results as an aligned text table; ratios are against the plain `ws` broadcast. */
export function table(rows: Row[]): string {
  const base = rows.find((r) => r.key === BASELINE);
  const header = ["contestant", "deliveries/s", "vs ws", "server CPU s", "deliv/CPU-s", "clients CPU", "frame B", "join s", "KiB/conn", "vs ws"];
  const lines = rows.map((r) => {
    const f = r.fanout;
    const i = r.idle;
    return [
      r.label,
      f ? `${num(f.perSecond)}${f.complete ? "" : " (cut)"}` : r.error ? "error" : "-",
      ratio(f?.perSecond, base?.fanout?.perSecond),
      f ? num(f.serverCpuSeconds, 2) : "-",
      f ? num(f.perServerCpuSecond) : "-",
      f ? `${num(f.clientCpuShare * 100)}%` : "-",
      f ? String(f.frameBytes) : "-",
      f ? num(f.setupSeconds, 1) : "-",
      i ? num(i.kibPerConnection, 1) : "-",
      ratio(i?.kibPerConnection, base?.idle?.kibPerConnection),
    ];
  });
  const widths = header.map((h, col) => Math.max(h.length, ...lines.map((l) => l[col].length)));
  const format = (cells: string[]) => cells.map((cell, col) => (col === 0 ? cell.padEnd(widths[col]) : cell.padStart(widths[col]))).join("  ");
  const out = [format(header), widths.map((w) => "-".repeat(w)).join("  "), ...lines.map(format)];
  for (const r of rows) if (r.error) out.push(`${r.label}: ${r.error}`);
  return out.join("\n");
}
