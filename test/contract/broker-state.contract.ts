// Fleet-state cases of the Broker contract: counters, claims, the node
// registry and live settings, each seen from two nodes of one cluster.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { JsonObject } from "../../src/core/json.js";
import type { NodeInfo } from "../../src/engine/broker/types.js";
import { eventually, range, sleep, withNodes, type Case, type OpenCluster } from "./broker-kit.js";

const info = (id: string, lastSeen: number, connections: Record<string, number> = {}): NodeInfo =>
  ({ id, address: `10.0.0.1:${4000 + id.length}`, started: 1_700_000_000_000, lastSeen, connections });
const byId = (list: NodeInfo[]) => [...list].sort((a, b) => a.id.localeCompare(b.id));

export function stateCases(open: OpenCluster): void {
  const cluster = (title: string, fn: Case) => it(title, withNodes(open, fn, { minNodes: 2 }));

  describe("counters", () => {
    cluster("are shared by the nodes, counted apart per key, and reset", async ([a, b], chan) => {
      const [k, other] = [chan("k"), chan("other")];
      assert.equal(await a.broker.counters.get(k), 0);
      assert.equal(await a.broker.counters.incr(k, 60_000), 1);
      assert.equal(await b.broker.counters.incr(k, 60_000), 2);
      assert.equal(await b.broker.counters.incr(k, 60_000, 5), 7);
      assert.equal(await a.broker.counters.get(k), 7);
      assert.equal(await a.broker.counters.incr(other, 60_000), 1);
      await b.broker.counters.reset(k);
      assert.equal(await a.broker.counters.get(k), 0);
      assert.equal(await a.broker.counters.get(other), 1);
    });

    cluster("count every increment of two racing nodes", async ([a, b], chan) => {
      const k = chan("k");
      const totals = await Promise.all(range(1, 100).map((n) => (n % 2 ? a : b).broker.counters.incr(k, 60_000)));
      assert.deepEqual([...totals].sort((x, y) => x - y), range(1, 100), "each increment saw its own total");
    });

    cluster("keep a fixed window: later increments do not extend it", async ([a, b], chan) => {
      const k = chan("k");
      assert.equal(await a.broker.counters.incr(k, 150), 1);
      // A long ttl on a later increment must not move the window's end.
      assert.equal(await b.broker.counters.incr(k, 600_000), 2);
      await eventually("the window to end", async () => (await b.broker.counters.get(k)) === 0);
      assert.equal(await b.broker.counters.incr(k, 60_000), 1, "a new window starts");
    });
  });

  describe("claims", () => {
    cluster("are exclusive across nodes and released only by their owner", async ([a, b], chan) => {
      const k = chan("name");
      assert.equal(await a.broker.claims.owner(k), null);
      assert.equal(await a.broker.claims.claim(k, "ann", 60_000), true);
      assert.equal(await b.broker.claims.claim(k, "bob", 60_000), false);
      assert.equal(await b.broker.claims.owner(k), "ann");
      assert.equal(await a.broker.claims.claim(k, "ann", 60_000), true, "the holder claims again");
      await b.broker.claims.release(k, "bob");
      assert.equal(await a.broker.claims.owner(k), "ann", "a non-owner's release does nothing");
      await b.broker.claims.release(k, "ann");
      assert.equal(await a.broker.claims.owner(k), null);
      assert.equal(await b.broker.claims.claim(k, "bob", 60_000), true);
    });

    cluster("go to exactly one of many racing claimants", async ([a, b], chan) => {
      const k = chan("name");
      const won = await Promise.all(range(1, 20).map((n) => (n % 2 ? a : b).broker.claims.claim(k, `owner-${n}`, 60_000)));
      assert.equal(won.filter(Boolean).length, 1);
      assert.equal(await a.broker.claims.owner(k), `owner-${won.indexOf(true) + 1}`);
    });

    cluster("expire, and a holder's claim again refreshes the expiry", async ([a, b], chan) => {
      const [short, kept] = [chan("short"), chan("kept")];
      assert.equal(await a.broker.claims.claim(short, "ann", 100), true);
      await eventually("the claim to expire", async () => (await b.broker.claims.owner(short)) === null);
      assert.equal(await b.broker.claims.claim(short, "bob", 60_000), true, "an expired claim is free");

      assert.equal(await a.broker.claims.claim(kept, "ann", 100), true);
      assert.equal(await a.broker.claims.claim(kept, "ann", 60_000), true);
      await sleep(300); // time must pass beyond the first expiry; a slower machine only makes this easier
      assert.equal(await b.broker.claims.owner(kept), "ann", "the refresh moved the expiry");
      assert.equal(await b.broker.claims.claim(kept, "bob", 60_000), false);
    });
  });

  describe("node registry", () => {
    cluster("records beats, lists every node, and forgets a node for exactly one caller", async ([a, b], chan) => {
      const [idA, idB] = [chan("node-a"), chan("node-b")];
      assert.deepEqual(await a.broker.nodes.list(), []);
      await a.broker.nodes.beat(info(idA, 1_000, { instalk: 2 }));
      await b.broker.nodes.beat(info(idB, 1_000));
      await b.broker.nodes.beat(info(idB, 2_000, { pubsub: 1, fuse: 0 }));
      for (const node of [a, b]) {
        assert.deepEqual(byId(await node.broker.nodes.list()), byId([info(idA, 1_000, { instalk: 2 }), info(idB, 2_000, { pubsub: 1, fuse: 0 })]));
      }
      const removed = await Promise.all([a.broker.nodes.remove(idB), b.broker.nodes.remove(idB)]);
      assert.deepEqual([...removed].sort(), [false, true]);
      assert.deepEqual(await b.broker.nodes.list(), [info(idA, 1_000, { instalk: 2 })]);
      assert.equal(await a.broker.nodes.remove(idB), false);
    });
  });

  describe("live settings", () => {
    cluster("start empty; a set on one node reaches every node's watch", async ([a, b]) => {
      assert.deepEqual(await b.broker.settings.get(), {});
      const seen: Array<[string, JsonObject]> = [];
      a.broker.settings.watch((s) => seen.push(["a", s]));
      b.broker.settings.watch((s) => seen.push(["b", s]));
      const value: JsonObject = { instalk: { idleMs: 30_000 }, motd: "héllo", flags: [true, null] };
      await a.broker.settings.set(value);
      await eventually("both watches", () => seen.length === 2);
      assert.deepEqual(seen.sort((x, y) => x[0].localeCompare(y[0])), [["a", value], ["b", value]]);
      assert.deepEqual(await b.broker.settings.get(), value);
      await b.broker.settings.set({ v: 2 });
      await eventually("the second set on both", () => seen.length === 4);
      assert.deepEqual(seen.slice(2).map((x) => x[1]), [{ v: 2 }, { v: 2 }]);
    });

    it("are kept for a node started later", withNodes(open, async ([a, b]) => {
      await a.broker.settings.set({ v: 1 });
      await b.start();
      assert.deepEqual(await b.broker.settings.get(), { v: 1 });
    }, { minNodes: 2, started: 1 }));
  });
}
