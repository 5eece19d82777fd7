// Redis-only: what a node does while its Redis is down and after it returns.
// The throwaway server is killed and started again on the same port under two
// started brokers; they must notice, fail fast meanwhile, reconnect by
// themselves, restore their subscriptions and tell the hub (onReconnect).
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { after, before, describe, it } from "node:test";
import { RedisBroker } from "../../src/engine/broker/redis/index.js";
import type { CoreEvent } from "../../src/core/types.js";
import { redisSkipReason, useRedis } from "../helpers/redis.js";
import { ev, eventually, on, type Node } from "./broker-kit.js";
import { quietLog, redisCluster } from "./broker-redis-cluster.js";

const skip = redisSkipReason();
const RECOVER_MS = 15_000;

describe("Redis broker outage", { skip: skip ?? false }, () => {
  const current = useRedis({ before, after });

  it("turns unhealthy, fails fast, recovers by itself, restores subscriptions and calls onReconnect", async () => {
    const logs: string[] = [];
    const { brokers, cleanup } = await redisCluster(current, 2, quietLog(logs))();
    try {
      const nodes: Node[] = brokers.map((broker) => {
        const node: Node = { broker, heard: [], start: () => broker.start((e: CoreEvent) => node.heard.push(e)) };
        return node;
      });
      const [a, b] = nodes;
      const reconnects = [0, 0];
      nodes.forEach((n, i) => n.broker.onReconnect(() => reconnects[i]++));
      for (const n of nodes) await n.start();
      for (const n of nodes) await n.broker.subscribe("before");
      await a.broker.publish(ev("before", 1));
      await eventually("the event before the outage", () => on(b, "before").length === 1);

      await current().restart(async () => {
        await eventually("both brokers to notice", () => nodes.every((n) => !n.broker.healthy()));
        // Fail fast: an error now, not a call hanging until Redis returns.
        const started = Date.now();
        await assert.rejects(a.broker.publish(ev("before", 2)));
        await assert.rejects(a.broker.presence.list("room"));
        await assert.rejects(a.broker.counters.incr("k", 1_000));
        // Wanted while down: refused now, subscribed once the connection is back.
        await assert.rejects(b.broker.subscribe("during"));
        assert.ok(Date.now() - started < 1_000, `calls failed after ${Date.now() - started} ms`);
      });

      await eventually("both brokers healthy again", () => nodes.every((n) => n.broker.healthy()), RECOVER_MS);
      await eventually("onReconnect on both", () => reconnects.every((n) => n === 1), RECOVER_MS);
      await a.broker.publish(ev("before", 3));
      await a.broker.publish(ev("during", 4));
      await eventually("events after recovery", () => on(b, "before").length === 2 && on(b, "during").length === 1);
      assert.deepEqual(on(b, "before").map((e) => e.data.n), [1, 3], "the event published while down is lost, not replayed");
      // The new server has an empty script cache: scripts must load again.
      const e = { key: "k1", user: { id: "u1", name: "U" }, node: a.broker.nodeId, info: {} };
      assert.deepEqual(await a.broker.presence.add("room", e), { firstForUser: true });
      assert.deepEqual(await b.broker.presence.list("room"), [e]);
      assert.ok(logs.some((m) => /reconnected/.test(m)), "the recovery was logged");
    } finally {
      await cleanup();
    }
  });

  it("rejects start() within its timeout when Redis is unreachable, and never logs the password", async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const addr = s.address();
        s.close(() => resolve(typeof addr === "object" && addr ? addr.port : 0));
      });
    });
    const logs: string[] = [];
    const log = (msg: string, err?: unknown) => void logs.push(`${msg} ${err instanceof Error ? err.message : ""}`);
    const broker = new RedisBroker({ url: `redis://ann:s3cret-pw@127.0.0.1:${port}/0`, prefix: "x:", nodeId: "n", log, startTimeoutMs: 300 });
    const error = await broker.start(() => undefined).then(() => null, (err: unknown) => err);
    assert.ok(error instanceof Error);
    assert.match(error.message, /not reachable/);
    assert.ok(!`${error.message}\n${logs.join("\n")}`.includes("s3cret-pw"), "the password leaked");
    assert.equal(broker.healthy(), false);
    await broker.close();
  });
});
