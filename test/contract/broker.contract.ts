// Behaviour every Broker implementation must show. Tests go through the port only,
// so the same cases run against the in-process broker (one node) and a clustered
// one (several nodes sharing one backend, e.g. Redis).
//
// Decisions this contract pins down beyond the port's doc comments:
// - A subscription is live once subscribe() resolves: a later publish reaches it.
// - A node that publishes on a channel it subscribes to hears its own event.
// - onEvent is never called from inside publish(): delivery is asynchronous, so a
//   publisher never re-enters its own fan-out.
// - Subscribing twice to a channel delivers each event once.
// - One publisher's events reach a subscriber in publish order, per channel, even
//   when the publishes are not awaited one by one.
// - Events arrive with every field as published; absent optional fields stay absent.
// - presenceRemove from the node that added the entry removes it cluster-wide.
// - close() may be called twice; after it, no event reaches that node's onEvent.
//
// Every case uses channel names of its own, so cases cannot hear each other's
// events even when a clustered backend is shared between them.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, it, type TestContext } from "node:test";
import type { CoreEvent } from "../../src/core/types.js";
import type { Broker, PresenceEntry } from "../../src/engine/broker/types.js";

export interface BrokerCluster {
  /** Unstarted brokers, one per node of one cluster (one for an in-process broker). */
  brokers: Broker[];
  /** Closes every broker and removes what they left in the backend. */
  cleanup: () => Promise<void>;
}

/** One node under test: its broker and every event its onEvent was called with. */
interface Node {
  broker: Broker;
  heard: CoreEvent[];
}

const WAIT_MS = 3_000;

/** Polls until `check` holds; fails after a bounded wait instead of sleeping a fixed time. */
async function eventually(what: string, check: () => boolean, timeoutMs = WAIT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

function ev(channel: string, n: number, over: Partial<CoreEvent> = {}): CoreEvent {
  return { channel, type: "message", seq: n, time: 1_000 + n, sender: { id: "u1", name: "Ann" }, data: { n }, ...over };
}

function entry(key: string, userId: string, node: string, info: Record<string, unknown> = {}): PresenceEntry {
  return { key, user: { id: userId, name: `name-${userId}` }, node, info };
}

const byKey = (list: PresenceEntry[]) => [...list].sort((a, b) => a.key.localeCompare(b.key));
const on = (node: Node, channel: string) => node.heard.filter((e) => e.channel === channel);
const ns = (node: Node, channel: string) => on(node, channel).map((e) => e.data.n);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

export function brokerContract(name: string, open: () => Promise<BrokerCluster>): void {
  /**
   * Starts every node, gives the case fresh channel names, and always cleans up.
   * A case that needs more nodes than the implementation has is skipped (an
   * in-process broker is a cluster of one).
   */
  const withNodes = (fn: (nodes: Node[], chan: (label: string) => string) => Promise<void>, minNodes = 1) =>
    async (t: TestContext) => {
      const { brokers, cleanup } = await open();
      const prefix = `t-${randomUUID().slice(0, 8)}`;
      try {
        if (brokers.length < minNodes) return t.skip(`needs ${minNodes} nodes, has ${brokers.length}`);
        const nodes = brokers.map((broker) => ({ broker, heard: [] as CoreEvent[] }));
        for (const node of nodes) await node.broker.start((event) => node.heard.push(event));
        await fn(nodes, (label) => `${prefix}:${label}`);
      } finally {
        await cleanup();
      }
    };
  const cluster = (title: string, fn: (nodes: Node[], chan: (label: string) => string) => Promise<void>) =>
    it(title, withNodes(fn, 2));

  describe(`Broker contract: ${name}`, () => {
    it("has a node id", withNodes(async (nodes) => {
      for (const { broker } of nodes) assert.ok(broker.nodeId.length > 0);
      assert.equal(new Set(nodes.map((n) => n.broker.nodeId)).size, nodes.length, "node ids are distinct");
    }));

    describe("fan-out", () => {
      it("delivers only on subscribed channels", withNodes(async ([a], chan) => {
        const [yes, no] = [chan("yes"), chan("no")];
        await a.broker.subscribe(yes);
        await a.broker.publish(ev(no, 1));
        await a.broker.publish(ev(yes, 2));
        await eventually("the subscribed event", () => on(a, yes).length === 1);
        assert.deepEqual(a.heard.map((e) => [e.channel, e.data.n]), [[yes, 2]]);
      }));

      it("never calls onEvent from inside publish", withNodes(async ([a], chan) => {
        const c = chan("c");
        await a.broker.subscribe(c);
        const pending = a.broker.publish(ev(c, 1));
        assert.equal(a.heard.length, 0, "delivered synchronously");
        await pending;
        await eventually("the event", () => a.heard.length === 1);
      }));

      it("delivers once when a channel is subscribed twice", withNodes(async ([a], chan) => {
        const [c, marker] = [chan("c"), chan("marker")];
        await a.broker.subscribe(c);
        await a.broker.subscribe(c);
        await a.broker.subscribe(marker);
        await a.broker.publish(ev(c, 1));
        await a.broker.publish(ev(marker, 2));
        await eventually("the marker", () => on(a, marker).length === 1);
        await eventually("the event", () => on(a, c).length >= 1);
        assert.deepEqual(ns(a, c), [1]);
      }));

      it("stops delivering after unsubscribe", withNodes(async ([a], chan) => {
        const [c, marker] = [chan("c"), chan("marker")];
        await a.broker.subscribe(c);
        await a.broker.subscribe(marker);
        await a.broker.publish(ev(c, 1));
        await eventually("the first event", () => on(a, c).length === 1);
        await a.broker.unsubscribe(c);
        await a.broker.publish(ev(c, 2));
        // The marker is published after the dropped event; once it is heard, the dropped one would have been too.
        await a.broker.publish(ev(marker, 3));
        await eventually("the marker", () => on(a, marker).length === 1);
        assert.deepEqual(ns(a, c), [1]);
        await a.broker.subscribe(c);
        await a.broker.publish(ev(c, 4));
        await eventually("the event after subscribing again", () => on(a, c).length === 2);
        assert.deepEqual(ns(a, c), [1, 4]);
      }));

      it("keeps one publisher's order per channel, publishes not awaited one by one", withNodes(async ([a], chan) => {
        const [x, y] = [chan("x"), chan("y")];
        await a.broker.subscribe(x);
        await a.broker.subscribe(y);
        const publishes: Promise<void>[] = [];
        for (const n of range(1, 300)) publishes.push(a.broker.publish(ev(n % 3 === 0 ? y : x, n)));
        await Promise.all(publishes);
        await eventually("all 300 events", () => a.heard.length === 300);
        assert.deepEqual(ns(a, x), range(1, 300).filter((n) => n % 3 !== 0));
        assert.deepEqual(ns(a, y), range(1, 300).filter((n) => n % 3 === 0));
      }));

      it("delivers every field of an event exactly", withNodes(async ([a], chan) => {
        const c = chan("fields");
        await a.broker.subscribe(c);
        const full: CoreEvent = {
          channel: c, type: "set-user-info", seq: 9_007_199_254_740_991, time: 1_712_345_678_901,
          sender: { id: "u-7", name: "Zoë 🦊" },
          data: {
            text: "héllo 👋 日本語 \"quoted\" \\ back\n", empty: {}, list: [], n: -1.5, zero: 0, no: null,
            nested: { a: [1, "two", { b: null, c: true, d: false }], "ключ": { deep: [[0]] } },
          },
          exceptUser: "u-7", exceptConn: "c42",
        };
        const bare: CoreEvent = { channel: c, type: "bt", time: 5, sender: { id: "u-8", name: "B" }, data: {} };
        const onlyConn: CoreEvent = { ...bare, type: "st", exceptConn: "c9" };
        await a.broker.publish(full);
        await a.broker.publish(bare);
        await a.broker.publish(onlyConn);
        await eventually("three events", () => on(a, c).length === 3);
        assert.deepEqual(on(a, c), [full, bare, onlyConn]);
      }));

      it("delivers nothing after close, and a second close does not throw", withNodes(async ([a], chan) => {
        const c = chan("c");
        await a.broker.subscribe(c);
        await a.broker.publish(ev(c, 1));
        await eventually("the event before close", () => on(a, c).length === 1);
        await a.broker.close();
        await a.broker.publish(ev(c, 2)).catch(() => undefined); // a closed broker may refuse to publish
        await new Promise((resolve) => setTimeout(resolve, 20));
        assert.deepEqual(ns(a, c), [1]);
        await a.broker.close();
      }));
    });

    describe("presence", () => {
      it("adds, lists and removes entries", withNodes(async ([a], chan) => {
        const c = chan("room");
        const node = a.broker.nodeId;
        assert.deepEqual(await a.broker.presenceList(c), []);
        const e1 = entry(`${node}/c1`, "u1", node, { color: "#aa0000", verified: true, tags: ["x", { y: 1 }] });
        const e2 = entry(`${node}/c2`, "u2", node);
        await a.broker.presenceAdd(c, e1);
        await a.broker.presenceAdd(c, e2);
        assert.deepEqual(byKey(await a.broker.presenceList(c)), [e1, e2]);
        assert.equal(await a.broker.presenceRemove(c, e1.key), true);
        assert.deepEqual(await a.broker.presenceList(c), [e2]);
        assert.equal(await a.broker.presenceRemove(c, e1.key), false, "already removed");
        assert.equal(await a.broker.presenceRemove(c, "never-added"), false);
        assert.equal(await a.broker.presenceRemove(chan("unknown"), e2.key), false);
        assert.equal(await a.broker.presenceRemove(c, e2.key), true);
        assert.deepEqual(await a.broker.presenceList(c), []);
      }));

      it("overwrites an entry added again with the same key", withNodes(async ([a], chan) => {
        const c = chan("room");
        const node = a.broker.nodeId;
        await a.broker.presenceAdd(c, entry(`${node}/c1`, "u1", node, { color: "#000000" }));
        const renamed: PresenceEntry = { key: `${node}/c1`, user: { id: "u1", name: "Renamed" }, node, info: { color: "#ffffff", verified: false } };
        await a.broker.presenceAdd(c, renamed);
        assert.deepEqual(await a.broker.presenceList(c), [renamed]);
        assert.equal(await a.broker.presenceRemove(c, renamed.key), true);
        assert.deepEqual(await a.broker.presenceList(c), []);
      }));

      it("keeps channels independent", withNodes(async ([a], chan) => {
        const [one, two] = [chan("one"), chan("two")];
        const node = a.broker.nodeId;
        const same = `${node}/c1`;
        const inOne = entry(same, "u1", node, { where: "one" });
        const inTwo = entry(same, "u1", node, { where: "two" });
        await a.broker.presenceAdd(one, inOne);
        await a.broker.presenceAdd(two, inTwo);
        assert.deepEqual(await a.broker.presenceList(one), [inOne]);
        assert.deepEqual(await a.broker.presenceList(two), [inTwo]);
        assert.equal(await a.broker.presenceRemove(one, same), true);
        assert.deepEqual(await a.broker.presenceList(one), []);
        assert.deepEqual(await a.broker.presenceList(two), [inTwo]);
      }));

      it("is not a fan-out channel: presence changes deliver no events", withNodes(async ([a], chan) => {
        const [c, marker] = [chan("room"), chan("marker")];
        await a.broker.subscribe(c);
        await a.broker.subscribe(marker);
        await a.broker.presenceAdd(c, entry(`${a.broker.nodeId}/c1`, "u1", a.broker.nodeId));
        await a.broker.presenceRemove(c, `${a.broker.nodeId}/c1`);
        await a.broker.publish(ev(marker, 1));
        await eventually("the marker", () => a.heard.length >= 1);
        assert.deepEqual(a.heard.map((e) => e.channel), [marker]);
      }));
    });

    describe("cluster", () => {
      cluster("delivers a publish on one node to the subscribers of every node, and only those", async (nodes, chan) => {
        const [c, other] = [chan("c"), chan("other")];
        const [first, ...rest] = nodes;
        for (const node of nodes) await node.broker.subscribe(c);
        await rest[0].broker.subscribe(other);
        await first.broker.publish(ev(c, 1));
        await first.broker.publish(ev(other, 2));
        for (const node of nodes) await eventually(`the event on ${node.broker.nodeId}`, () => on(node, c).length === 1);
        await eventually("the other event", () => on(rest[0], other).length === 1);
        for (const node of nodes) assert.deepEqual(on(node, c), [ev(c, 1)]);
        assert.deepEqual(on(first, other), [], "the publishing node did not subscribe to `other`");
      });

      cluster("keeps one publisher's order on every other node", async (nodes, chan) => {
        const c = chan("c");
        for (const node of nodes) await node.broker.subscribe(c);
        const [, second] = nodes;
        await Promise.all(range(1, 200).map((n) => second.broker.publish(ev(c, n))));
        for (const node of nodes) {
          await eventually(`200 events on ${node.broker.nodeId}`, () => on(node, c).length === 200);
          assert.deepEqual(ns(node, c), range(1, 200));
        }
      });

      cluster("stops one node's delivery on unsubscribe, not the others'", async (nodes, chan) => {
        const [c, marker] = [chan("c"), chan("marker")];
        const [a, b] = nodes;
        for (const node of [a, b]) {
          await node.broker.subscribe(c);
          await node.broker.subscribe(marker);
        }
        await b.broker.unsubscribe(c);
        await a.broker.publish(ev(c, 1));
        await a.broker.publish(ev(marker, 2));
        await eventually("the marker on b", () => on(b, marker).length === 1);
        await eventually("the event on a", () => on(a, c).length === 1);
        assert.deepEqual(on(b, c), []);
      });

      cluster("shows presence cluster-wide", async (nodes, chan) => {
        const c = chan("room");
        const added = nodes.map((node, i) => entry(`${node.broker.nodeId}/c${i}`, `u${i}`, node.broker.nodeId, { i }));
        for (const [i, node] of nodes.entries()) await node.broker.presenceAdd(c, added[i]);
        for (const node of nodes) assert.deepEqual(byKey(await node.broker.presenceList(c)), byKey(added));
        const [a, b] = nodes;
        const renamed = { ...added[0], user: { id: "u0", name: "Renamed" } };
        await a.broker.presenceAdd(c, renamed);
        assert.deepEqual(byKey(await b.broker.presenceList(c)).find((e) => e.key === renamed.key), renamed);
        assert.equal(await a.broker.presenceRemove(c, added[0].key), true);
        for (const node of nodes) assert.deepEqual(byKey(await node.broker.presenceList(c)), byKey(added.slice(1)));
        assert.equal(await b.broker.presenceRemove(c, added[0].key), false, "already gone cluster-wide");
      });

      cluster("keeps delivering to the other nodes after one closes", async (nodes, chan) => {
        const c = chan("c");
        for (const node of nodes) await node.broker.subscribe(c);
        const [a, b] = nodes;
        await b.broker.close();
        await a.broker.publish(ev(c, 1));
        await eventually("the event on a", () => on(a, c).length === 1);
        // a heard its own publish through the backend, so b had every chance to hear it too.
        for (const node of nodes.slice(2)) await eventually("the event on the rest", () => on(node, c).length === 1);
        assert.deepEqual(on(b, c), []);
      });
    });
  });
}
