import type { Config } from "../config/schema.js";
import { randomId } from "../core/identity.js";
import { openBroker } from "../engine/broker/open.js";
import type { NodeInfo } from "../engine/broker/types.js";

const age = (ms: number) => (ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`);

/** Columns padded to their widest cell, two spaces apart. */
export function textTable(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
  return [line(head), ...rows.map(line)].join("\n");
}

/** The node registry as a table: what `GET /api/cluster` answers, read straight from the broker. */
export function nodeTable(nodes: NodeInfo[], now = Date.now()): string {
  const dialects = [...new Set(nodes.flatMap((n) => Object.keys(n.connections)))].sort();
  const rows = nodes
    .sort((a, b) => a.id.localeCompare(b.id))
    .map((n) => [n.id, n.address, age(now - n.started), `${age(now - n.lastSeen)} ago`, ...dialects.map((d) => String(n.connections[d] ?? 0))]);
  return textTable(["node", "address", "up", "last seen", ...dialects], rows);
}

/** `switchboard cluster status --broker redis://…`: the live nodes of the fleet on that broker. */
export async function clusterStatus(config: Config): Promise<string> {
  if (!config.broker.url) throw new Error("cluster status needs --broker redis://… (the fleet's broker)");
  const broker = await openBroker(config, `cli-${randomId(6)}`);
  try {
    const nodes = await broker.nodes.list();
    return nodes.length === 0 ? "no nodes" : nodeTable(nodes);
  } finally {
    await broker.close();
  }
}
