// Fan-out cases of the Broker contract: subscribe, publish, order, close, on
// one node and across nodes.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { CoreEvent } from "../../src/core/types.js";
import { ev, eventually, ns, on, range, sleep, withNodes, type Case, type OpenCluster } from "./broker-kit.js";

export function fanoutCases(open: OpenCluster): void {
  const one = (title: string, fn: Case) => it(title, withNodes(open, fn));
  const cluster = (title: string, fn: Case) => it(title, withNodes(open, fn, { minNodes: 2 }));

  describe("fan-out", () => {
    one("delivers only on subscribed channels", async ([a], chan) => {
      const [yes, no] = [chan("yes"), chan("no")];
      await a.broker.subscribe(yes);
      await a.broker.publish(ev(no, 1));
      await a.broker.publish(ev(yes, 2));
      await eventually("the subscribed event", () => on(a, yes).length === 1);
      assert.deepEqual(a.heard.map((e) => [e.channel, e.data.n]), [[yes, 2]]);
    });

    one("never calls onEvent from inside publish", async ([a], chan) => {
      const c = chan("c");
      await a.broker.subscribe(c);
      const pending = a.broker.publish(ev(c, 1));
      assert.equal(a.heard.length, 0, "delivered synchronously");
      await pending;
      await eventually("the event", () => a.heard.length === 1);
    });

    one("delivers once when a channel is subscribed twice", async ([a], chan) => {
      const [c, marker] = [chan("c"), chan("marker")];
      await a.broker.subscribe(c);
      await a.broker.subscribe(c);
      await a.broker.subscribe(marker);
      await a.broker.publish(ev(c, 1));
      await a.broker.publish(ev(marker, 2));
      await eventually("the marker", () => on(a, marker).length === 1);
      await eventually("the event", () => on(a, c).length >= 1);
      assert.deepEqual(ns(a, c), [1]);
    });

    one("stops delivering after unsubscribe", async ([a], chan) => {
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
    });

    one("keeps one publisher's order per channel, publishes not awaited one by one", async ([a], chan) => {
      const [x, y] = [chan("x"), chan("y")];
      await a.broker.subscribe(x);
      await a.broker.subscribe(y);
      const publishes: Promise<void>[] = [];
      for (const n of range(1, 300)) publishes.push(a.broker.publish(ev(n % 3 === 0 ? y : x, n)));
      await Promise.all(publishes);
      await eventually("all 300 events", () => a.heard.length === 300);
      assert.deepEqual(ns(a, x), range(1, 300).filter((n) => n % 3 !== 0));
      assert.deepEqual(ns(a, y), range(1, 300).filter((n) => n % 3 === 0));
    });

    one("delivers every field of an event exactly", async ([a], chan) => {
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
    });

    one("delivers nothing after close, and a second close does not throw", async ([a], chan) => {
      const c = chan("c");
      await a.broker.subscribe(c);
      await a.broker.publish(ev(c, 1));
      await eventually("the event before close", () => on(a, c).length === 1);
      await a.broker.close();
      await a.broker.publish(ev(c, 2)).catch(() => undefined); // a closed broker may refuse to publish
      await sleep(20);
      assert.deepEqual(ns(a, c), [1]);
      await a.broker.close();
    });

    one("is healthy once started", async (nodes) => {
      for (const { broker } of nodes) assert.equal(broker.healthy(), true);
    });
  });

  describe("fan-out across nodes", () => {
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
}
