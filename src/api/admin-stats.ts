import { readFileSync } from "node:fs";
import type { Core } from "../core/core.js";
import type { MessageRates } from "../observability/rates.js";
import { stats } from "./admin-schemas.js";
import { op, type Operation } from "./operations.js";
import { repoFile } from "./web-root.js";
import type { ApiContext } from "./types.js";

/** The package's version, read once: what `/api/openapi.json` and the stats name. */
export const VERSION: string = (() => {
  try {
    const pkg = JSON.parse(readFileSync(repoFile("package.json"), "utf8")) as { version?: unknown };
    return typeof pkg.version === "string" ? pkg.version : "0.0.0";
  } catch {
    return "0.0.0";
  }
})();

/**
 * Where each server's message rates come from, by its core: the stats are
 * built from the core alone (here and in the admin stream), and the rates live
 * in the server's metrics, which the core does not know.
 */
const rateSources = new WeakMap<Core, () => MessageRates>();

export function provideRates(core: Core, rates: () => MessageRates): void {
  rateSources.set(core, rates);
}

/** The server and its fleet now: nodes and their connections (from the registry), this process's memory and uptime. */
export async function currentStats(core: Core) {
  const nodes = (await core.broker.nodes.list()).sort((a, b) => a.id.localeCompare(b.id));
  const byDialect: Record<string, number> = {};
  for (const node of nodes) for (const [dialect, n] of Object.entries(node.connections)) byDialect[dialect] = (byDialect[dialect] ?? 0) + n;
  const { rss, heapUsed, heapTotal, external } = process.memoryUsage();
  return {
    time: new Date().toISOString(),
    node: { id: core.broker.nodeId, version: VERSION, runtime: process.version, uptimeSeconds: Math.round(process.uptime()), memory: { rss, heapUsed, heapTotal, external } },
    nodes,
    connections: { total: Object.values(byDialect).reduce((a, b) => a + b, 0), byDialect },
    // This node's, not the fleet's: each node counts only its own clients' messages (Prometheus sums the fleet).
    rates: rateSources.get(core)?.() ?? null,
  };
}

export function adminStatsOperations({ core }: ApiContext): Operation[] {
  return [
    op({
      id: "stats",
      method: "GET",
      path: "/api/admin/stats",
      summary: "Nodes, connections per dialect, this process's memory and uptime",
      tags: ["admin"],
      security: "admin",
      responses: { 200: { description: "the server now", schema: stats } },
      async handle() {
        return { status: 200, body: await currentStats(core) };
      },
    }),
  ];
}
