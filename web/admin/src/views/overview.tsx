import { useState } from "preact/hooks";
import { bytes, duration } from "../format.js";
import { useStream } from "../hooks.js";
import type { Stats } from "../types.js";
import { StreamBadge } from "./parts.js";

/** The fleet now: connections per dialect, nodes, this node's process. Pushed every second. */
export function Overview() {
  const [stats, setStats] = useState<Stats | null>(null);
  const state = useStream({ view: "overview" }, (e) => e.event === "stats" && setStats(e.data));
  if (!stats) return <p class="muted">Connecting… <StreamBadge state={state} /></p>;
  const dialects = Object.entries(stats.connections.byDialect).sort(([a], [b]) => a.localeCompare(b));
  return (
    <section>
      <h1>
        Overview <StreamBadge state={state} />
      </h1>
      <div class="cards">
        <div class="card">
          <span class="label">connections</span>
          <span class="value" data-testid="connections-total">{stats.connections.total}</span>
        </div>
        {dialects.map(([dialect, n]) => (
          <div class="card">
            <span class="label">{dialect}</span>
            <span class="value" data-testid={`connections-${dialect}`}>{n}</span>
          </div>
        ))}
        <div class="card" title="Requests accepted from and frames sent to the clients of the node serving this page, per second">
          <span class="label">messages/s in · out, this node</span>
          <span class="value" data-testid="rates">{stats.rates ? `${stats.rates.messagesIn.toFixed(1)} · ${stats.rates.messagesOut.toFixed(1)}` : "—"}</span>
        </div>
        <div class="card">
          <span class="label">nodes</span>
          <span class="value" data-testid="node-count">{stats.nodes.length}</span>
        </div>
      </div>
      <h2>Nodes</h2>
      <table data-testid="nodes">
        <thead>
          <tr>
            <th>node</th>
            <th>address</th>
            <th>up</th>
            <th>last heartbeat</th>
            <th>connections</th>
          </tr>
        </thead>
        <tbody>
          {stats.nodes.map((n) => (
            <tr>
              <td>{n.id}</td>
              <td>{n.address}</td>
              <td>{duration((Date.parse(stats.time) - n.started) / 1000)}</td>
              <td>{duration(Math.max(0, Date.parse(stats.time) - n.lastSeen) / 1000)} ago</td>
              <td>
                {Object.entries(n.connections)
                  .map(([d, c]) => `${d} ${c}`)
                  .join(", ") || "none"}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p class="muted">
        This page is served by <strong>{stats.node.id}</strong> (switchboard {stats.node.version}, Node.js {stats.node.runtime}): process up {duration(stats.node.uptimeSeconds)}, memory{" "}
        {bytes(stats.node.memory.rss)} resident, {bytes(stats.node.memory.heapUsed)} heap.
      </p>
    </section>
  );
}
