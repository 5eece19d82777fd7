// Behaviour every Broker implementation must show. Tests go through the port only,
// so the same cases run against the in-process broker (several LocalBrokers on one
// LocalNetwork) and Redis (several RedisBrokers on one server): every runner hands
// in a cluster of at least two nodes, so the multi-node cases always run.
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
// - presence.remove from the node that added the entry removes it cluster-wide.
// - presence.add replacing a user's own entry (same key, same user) is not a "first";
//   a remove that found nothing reports neither removed nor last.
// - presence.removeNode removes entries by their `node` field, whichever broker added
//   them; a user's several entries leave one by one, so exactly one is the "last".
// - Counters keep a fixed window: the ttl of later increments is ignored.
// - A claim by its holder succeeds and restarts its expiry.
// - settings.watch fires on every started node, the setter included, with the value set.
// - close() may be called twice; after it, no event reaches that node's onEvent.
//
// Every case uses channel and key names of its own (and runners give each case a
// fresh cluster), so cases cannot hear each other even on a shared backend.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { fanoutCases } from "./broker-fanout.contract.js";
import { withNodes, type OpenCluster } from "./broker-kit.js";
import { presenceCases } from "./broker-presence.contract.js";
import { stateCases } from "./broker-state.contract.js";

export type { BrokerCluster, OpenCluster } from "./broker-kit.js";

export function brokerContract(name: string, open: OpenCluster): void {
  describe(`Broker contract: ${name}`, () => {
    it("has distinct node ids", withNodes(open, async (nodes) => {
      for (const { broker } of nodes) assert.ok(broker.nodeId.length > 0);
      assert.equal(new Set(nodes.map((n) => n.broker.nodeId)).size, nodes.length, "node ids are distinct");
    }, { minNodes: 2 }));

    fanoutCases(open);
    presenceCases(open);
    stateCases(open);
  });
}
