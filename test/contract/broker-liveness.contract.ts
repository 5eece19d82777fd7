// NodeLiveness over a real cluster of brokers: a node that stops beating is
// swept by the survivors, its presence reported exactly once fleet-wide. Runs
// against every broker (liveness is shared code; the atomicity is the broker's).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { NodeLiveness } from "../../src/engine/broker/liveness.js";
import type { Broker, PresenceDeparture } from "../../src/engine/broker/types.js";
import { entry, eventually, range, sleep, type OpenCluster } from "./broker-kit.js";

const HEARTBEAT_MS = 50;
const DEAD_AFTER_MS = 300;
/** Dead after DEAD_AFTER_MS, swept on a survivor's next beat: generous for a loaded machine. */
const SWEEP_WAIT_MS = DEAD_AFTER_MS + 20 * HEARTBEAT_MS + 3_000;

interface Member {
  broker: Broker;
  liveness: NodeLiveness;
  departures: PresenceDeparture[];
  logs: string[];
}

const keyOf = (d: PresenceDeparture) => `${d.channel}|${d.entry.key}`;

function member(broker: Broker, over: { deadAfterMs?: number } = {}): Member {
  const m: Member = {
    broker, departures: [], logs: [],
    liveness: new NodeLiveness(broker, {
      self: () => ({ id: broker.nodeId, address: "127.0.0.1:4040", started: 1, connections: { instalk: 1 } }),
      heartbeatMs: HEARTBEAT_MS,
      deadAfterMs: over.deadAfterMs ?? DEAD_AFTER_MS,
      onDepartures: (d) => void m.departures.push(...d),
      log: (msg) => void m.logs.push(msg),
    }),
  };
  return m;
}

/** Opens a cluster, starts its brokers, always stops every liveness and cleans up. */
function withMembers(open: OpenCluster, fn: (members: Member[]) => Promise<void>) {
  return async () => {
    const { brokers, cleanup } = await open();
    const members = brokers.map((b) => member(b));
    try {
      for (const b of brokers) await b.start(() => undefined);
      await fn(members);
    } finally {
      for (const m of members) await m.liveness.stop();
      await cleanup();
    }
  };
}

/** Adds entries of `node` in two channels; a user with two entries in one channel. */
async function addEntries(broker: Broker, node: string, tag: string) {
  const added = [
    { channel: `${tag}:r1`, entry: entry(`${node}/c1`, "u1", node) },
    { channel: `${tag}:r1`, entry: entry(`${node}/c2`, "u1", node) },
    { channel: `${tag}:r1`, entry: entry(`${node}/c3`, "u2", node) },
    { channel: `${tag}:r2`, entry: entry(`${node}/c1`, "u1", node) },
  ];
  for (const a of added) await broker.presence.add(a.channel, a.entry);
  return added;
}

export function livenessCases(name: string, open: OpenCluster): void {
  describe(`NodeLiveness over ${name}`, () => {
    it("sweeps a node that stopped beating: its entries reported once, its record removed", withMembers(open, async ([a, b]) => {
      await a.liveness.start();
      await b.liveness.start();
      const ids = async () => (await a.broker.nodes.list()).map((n) => n.id).sort();
      assert.deepEqual(await ids(), [a.broker.nodeId, b.broker.nodeId].sort());
      const tag = `sweep-${b.broker.nodeId}`;
      const added = await addEntries(b.broker, b.broker.nodeId, tag);
      const keep = entry(`${a.broker.nodeId}/c9`, "u2", a.broker.nodeId);
      await a.broker.presence.add(`${tag}:r1`, keep);

      await b.liveness.stop(); // a crash, as the others see it: no leave()
      await eventually("b's entries reported", () => a.departures.length === added.length, SWEEP_WAIT_MS);
      assert.deepEqual(a.departures.map(keyOf).sort(), added.map((x) => `${x.channel}|${x.entry.key}`).sort());
      const lasts = a.departures.filter((d) => d.lastForUser).map(keyOf).sort();
      // u1 leaves r1 once (one of its two entries) and r2; u2 stays in r1 through a's entry.
      assert.equal(lasts.filter((k) => k.startsWith(`${tag}:r1|`)).length, 1);
      assert.ok(lasts.includes(`${tag}:r2|${b.broker.nodeId}/c1`));
      await eventually("b gone from the registry", async () => (await ids()).join() === a.broker.nodeId, SWEEP_WAIT_MS);
      assert.deepEqual(await a.broker.presence.list(`${tag}:r1`), [keep]);
      assert.deepEqual(b.departures, []);
      await sleep(3 * HEARTBEAT_MS);
      assert.equal(a.departures.length, added.length, "reported once, not on every sweep");
    }));

    it("reports a dead node's entries exactly once when two survivors race", withMembers(open, async (brokers) => {
      assert.ok(brokers.length >= 3, "the cluster needs three nodes for this case");
      const [a, b, c] = brokers;
      for (const m of [a, b, c]) await m.liveness.start();
      const node = c.broker.nodeId;
      const added = [];
      for (const n of range(1, 60)) {
        const e = entry(`${node}/c${n}`, `u${n % 7}`, node);
        added.push(`race:${node}|${e.key}`);
        await c.broker.presence.add(`race:${node}`, e);
      }
      await c.liveness.stop();
      const both = () => [...a.departures, ...b.departures];
      await eventually("c's entries reported", () => both().length >= added.length, SWEEP_WAIT_MS);
      await sleep(3 * HEARTBEAT_MS); // a second report would come from the sweep after
      assert.deepEqual(both().map(keyOf).sort(), added.sort(), "each entry to exactly one survivor");
      assert.equal(both().filter((d) => d.lastForUser).length, 7, "one last per user");
      await eventually("c gone from the registry", async () => (await a.broker.nodes.list()).length === 2, SWEEP_WAIT_MS);
    }));

    it("on start, reports and removes entries an earlier process with the same id left", withMembers(open, async ([a, b]) => {
      // b's node id in entries added before its liveness runs: what a crashed predecessor left.
      const added = await addEntries(a.broker, b.broker.nodeId, `stale-${b.broker.nodeId}`);
      await b.liveness.start();
      assert.deepEqual(b.departures.map(keyOf).sort(), added.map((x) => `${x.channel}|${x.entry.key}`).sort());
      assert.deepEqual(await a.broker.presence.list(added[0].channel), []);
      assert.ok((await a.broker.nodes.list()).some((n) => n.id === b.broker.nodeId), "it beat once");
    }));

    it("leave() reports its own entries, drops its record, and beats no more", withMembers(open, async ([a, b]) => {
      await a.liveness.start();
      await b.liveness.start();
      const added = await addEntries(b.broker, b.broker.nodeId, `leave-${b.broker.nodeId}`);
      await b.liveness.leave();
      assert.equal(b.departures.length, added.length);
      assert.deepEqual((await a.broker.nodes.list()).map((n) => n.id), [a.broker.nodeId]);
      await sleep(4 * HEARTBEAT_MS);
      assert.deepEqual((await a.broker.nodes.list()).map((n) => n.id), [a.broker.nodeId], "no beat after leave");
      assert.deepEqual(a.departures, [], "nothing left for the others to sweep");
    }));

    it("tells a node the fleet took it for dead, so it can add its entries again", withMembers(open, async ([a, b]) => {
      let evicted = 0;
      const slow = new NodeLiveness(b.broker, {
        self: () => ({ id: b.broker.nodeId, address: "x:1", started: 1, connections: {} }),
        heartbeatMs: HEARTBEAT_MS, deadAfterMs: DEAD_AFTER_MS, onDepartures: () => undefined,
        onEvicted: () => void evicted++,
      });
      try {
        await slow.start();
        await a.liveness.start();
        // As if b paused: a removes it; b's next beat notices.
        await a.broker.nodes.remove(b.broker.nodeId);
        await eventually("b to notice", () => evicted === 1, SWEEP_WAIT_MS);
        await eventually("b back in the registry", async () => (await a.broker.nodes.list()).some((n) => n.id === b.broker.nodeId));
      } finally {
        await slow.stop();
      }
    }));
  });
}
