import { Counter, type Registry } from "prom-client";

/**
 * Open connections per client address on this node (the address the
 * transport decided, trusted proxies considered), against
 * `limits.connectionsPerAddress`: one address cannot hold the node's
 * sockets, timers and memory by opening connections without end.
 */
export class AddressCounts {
  private readonly open = new Map<string, number>();
  private readonly refused: Counter;

  constructor(
    /** Read at every check: a live settings change applies to the next connection. */
    private readonly limit: () => number,
    registry: Registry,
  ) {
    this.refused = new Counter({ name: "switchboard_connections_refused_total", help: "Connections refused before they opened, by reason", labelNames: ["reason"], registers: [registry] });
  }

  /** False (and counted) when the address already holds as many connections as it may. */
  mayOpen(address: string): boolean {
    if ((this.open.get(address) ?? 0) < this.limit()) return true;
    this.refused.inc({ reason: "per-address" });
    return false;
  }

  opened(address: string): void {
    this.open.set(address, (this.open.get(address) ?? 0) + 1);
  }

  closed(address: string): void {
    const held = (this.open.get(address) ?? 1) - 1;
    if (held > 0) this.open.set(address, held);
    else this.open.delete(address);
  }
}
