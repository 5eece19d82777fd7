// NodeLiveness unit tests: on the in-process broker always, on Redis when a
// redis-server binary is installed (see test/helpers/redis.ts).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { NodeLiveness } from "../../src/engine/broker/liveness.js";
import { LocalBroker, LocalNetwork } from "../../src/engine/broker/local/index.js";
import type { Broker } from "../../src/engine/broker/types.js";
import { livenessCases } from "./broker-liveness.contract.js";
import { eventually } from "./broker-kit.js";

livenessCases("local", async () => {
  const network = new LocalNetwork();
  const brokers = [1, 2, 3].map(() => new LocalBroker({ network }));
  return { brokers, cleanup: async () => void (await Promise.all(brokers.map((b) => b.close()))) };
});

describe("NodeLiveness during a broker outage", () => {
  it("logs and retries instead of throwing out of its timer", async () => {
    const real = new LocalBroker();
    let down = true;
    const fail = <T>(fn: () => Promise<T>) => () => (down ? Promise.reject(new Error("broker down")) : fn());
    // The registry fails while `down`; presence works, so start() gets past its first removal.
    const flaky: Broker = Object.assign(Object.create(real) as Broker, {
      nodes: { ...real.nodes, list: fail(() => real.nodes.list()), beat: (i: Parameters<Broker["nodes"]["beat"]>[0]) => fail(() => real.nodes.beat(i))() },
    });
    const logs: string[] = [];
    const liveness = new NodeLiveness(flaky, {
      self: () => ({ id: real.nodeId, address: "x:1", started: 1, connections: {} }),
      heartbeatMs: 20, deadAfterMs: 200, onDepartures: () => undefined, log: (msg) => void logs.push(msg),
    });
    try {
      await liveness.start();
      await eventually("two failed ticks logged", () => logs.length >= 2);
      assert.match(logs[0], /retrying/);
      down = false;
      await eventually("a beat after recovery", async () => (await real.nodes.list()).length === 1);
    } finally {
      await liveness.stop();
      await real.close();
    }
  });

  it("start() rejects when the broker is unreachable at boot", async () => {
    const real = new LocalBroker();
    await real.close(); // a closed broker rejects every call
    const liveness = new NodeLiveness(real, {
      self: () => ({ id: real.nodeId, address: "x:1", started: 1, connections: {} }),
      heartbeatMs: 20, deadAfterMs: 200, onDepartures: () => undefined,
    });
    await assert.rejects(liveness.start(), /closed/);
    await liveness.stop();
  });
});
