import type { Broker, NodeInfo, PresenceDeparture } from "./types.js";

export interface NodeLivenessOptions {
  /** This node as it should appear in the registry; called on every beat (connection counts change). */
  self: () => Omit<NodeInfo, "lastSeen">;
  heartbeatMs: number;
  /** A node whose newest beat is older than this is dead. Nodes' clocks must agree well within it. */
  deadAfterMs: number;
  /** Entries that left because their node died, left, or restarted; each reaches exactly one node of the fleet. */
  onDepartures: (departures: PresenceDeparture[]) => void | Promise<void>;
  /**
   * This node found itself missing from the registry after having beaten:
   * the others took it for dead (a long pause) and removed its presence
   * entries, so its live connections should be added again.
   */
  onEvicted?: () => void | Promise<void>;
  log?: (msg: string, err?: unknown) => void;
}

/**
 * Node liveness over the broker's registry, the same code for every broker:
 * each node beats, and every node sweeps the dead (whoever sees one first
 * removes its presence; the backend makes sure each entry is reported once).
 * Presence therefore heals itself when a node crashes.
 */
export class NodeLiveness {
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  /** The tick in progress, so leave()/stop() never race a late beat. */
  private current: Promise<void> = Promise.resolve();
  private beaten = false;
  private readonly log: (msg: string, err?: unknown) => void;

  constructor(private readonly broker: Broker, private readonly opts: NodeLivenessOptions) {
    this.log = opts.log ?? (() => undefined);
  }

  /**
   * Removes what an earlier process with this node id left (reported as
   * departures), beats once, then keeps beating and sweeping. Call it before
   * this node adds presence entries of its own: those would be taken for
   * stale. Rejects only when that first removal fails (the broker is
   * unreachable at boot); later failures are logged and retried.
   */
  async start(): Promise<void> {
    if (this.running) return;
    await this.removeEntries(this.opts.self().id);
    this.running = true;
    await this.run();
  }

  /** Clean drain: stops beating, then reports and removes this node's entries and its registry record. */
  async leave(): Promise<void> {
    await this.stop();
    const id = this.opts.self().id;
    try {
      await this.removeEntries(id);
      await this.broker.nodes.remove(id);
    } catch (err) {
      this.log("could not leave the node registry cleanly; the others will sweep this node when its beat ages out", err);
    }
  }

  /** Stops beating without removing anything (a crash as the others see it). */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.current;
  }

  private run(): Promise<void> {
    this.current = this.tick().finally(() => {
      if (!this.running) return;
      this.timer = setTimeout(() => void this.run(), this.opts.heartbeatMs);
      this.timer.unref();
    });
    return this.current;
  }

  /** Never throws: a broker outage is logged and the next tick tries again. */
  private async tick(): Promise<void> {
    const self = this.opts.self();
    try {
      const before = await this.broker.nodes.list();
      if (this.beaten && !before.some((n) => n.id === self.id)) await this.evicted();
      await this.broker.nodes.beat({ ...self, lastSeen: Date.now() });
      this.beaten = true;
      const now = Date.now();
      for (const node of before) {
        if (node.id === self.id || now - node.lastSeen <= this.opts.deadAfterMs) continue;
        if (!this.running) return;
        await this.removeEntries(node.id);
        // Only after its entries are gone: a node still listed is swept again if this one fails half-way.
        await this.broker.nodes.remove(node.id);
        this.log(`node ${node.id} is dead (silent for ${now - node.lastSeen} ms); its presence was removed`);
      }
    } catch (err) {
      this.log("node liveness: the broker failed; retrying on the next heartbeat", err);
    }
  }

  private async removeEntries(node: string): Promise<void> {
    const departures = await this.broker.presence.removeNode(node);
    if (departures.length === 0) return;
    try {
      await this.opts.onDepartures(departures);
    } catch (err) {
      // The entries are gone from the backend either way; a failed report must not stop the sweep.
      this.log(`node liveness: reporting ${departures.length} departures of ${node} failed`, err);
    }
  }

  private async evicted(): Promise<void> {
    this.log("this node was taken for dead by the fleet (missed heartbeats); rejoining");
    try {
      await this.opts.onEvicted?.();
    } catch (err) {
      this.log("node liveness: onEvicted failed", err);
    }
  }
}
