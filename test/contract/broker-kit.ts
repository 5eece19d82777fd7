// Shared pieces of the Broker contract suites: the cluster a runner hands in,
// the per-case node harness, and small builders. Kept apart so each suite file
// holds only cases.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import type { TestContext } from "node:test";
import type { CoreEvent } from "../../src/core/types.js";
import type { Broker, PresenceEntry } from "../../src/engine/broker/types.js";

export interface BrokerCluster {
  /** Unstarted brokers, one per node of one cluster (at least two: multi-node cases must run). */
  brokers: Broker[];
  /** Closes every broker and removes what they left in the backend. */
  cleanup: () => Promise<void>;
}

export type OpenCluster = () => Promise<BrokerCluster>;

/** One node under test: its broker and every event its onEvent was called with. */
export interface Node {
  broker: Broker;
  heard: CoreEvent[];
  /** Starts the broker (done for every node unless the case asked otherwise). */
  start: () => Promise<void>;
}

export type Case = (nodes: Node[], chan: (label: string) => string) => Promise<void>;

export const WAIT_MS = 5_000;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls until `check` holds; fails after a bounded wait instead of sleeping a fixed time. */
export async function eventually(what: string, check: () => boolean | Promise<boolean>, timeoutMs = WAIT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

export function ev(channel: string, n: number, over: Partial<CoreEvent> = {}): CoreEvent {
  return { channel, type: "message", seq: n, time: 1_000 + n, sender: { id: "u1", name: "Ann" }, data: { n }, ...over };
}

export function entry(key: string, userId: string, node: string, info: Record<string, unknown> = {}): PresenceEntry {
  return { key, user: { id: userId, name: `name-${userId}` }, node, info };
}

export const byKey = (list: readonly PresenceEntry[]) => [...list].sort((a, b) => a.key.localeCompare(b.key));
export const on = (node: Node, channel: string) => node.heard.filter((e) => e.channel === channel);
export const ns = (node: Node, channel: string) => on(node, channel).map((e) => e.data.n);
export const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/**
 * Wraps a case: opens a cluster, starts its first `started` nodes (all by
 * default), gives the case fresh channel names, and always cleans up. A
 * cluster with fewer nodes than the case needs fails the case: a multi-node
 * case that silently skipped would prove nothing.
 */
export function withNodes(open: OpenCluster, fn: Case, opts: { minNodes?: number; started?: number } = {}) {
  return async (_t: TestContext) => {
    const { brokers, cleanup } = await open();
    const prefix = `t-${randomUUID().slice(0, 8)}`;
    try {
      const minNodes = opts.minNodes ?? 1;
      assert.ok(brokers.length >= minNodes, `the case needs ${minNodes} nodes, the cluster has ${brokers.length}`);
      const nodes: Node[] = brokers.map((broker) => {
        const node: Node = { broker, heard: [], start: () => broker.start((event) => node.heard.push(event)) };
        return node;
      });
      for (const node of nodes.slice(0, opts.started ?? nodes.length)) await node.start();
      await fn(nodes, (label) => `${prefix}:${label}`);
    } finally {
      await cleanup();
    }
  };
}
