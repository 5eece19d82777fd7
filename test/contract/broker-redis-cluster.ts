// Clusters of RedisBrokers on one throwaway redis-server, for the Redis runs
// of the broker suites. Each cluster gets its own key prefix, so cases sharing
// the server never see each other's keys or channels.
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { RedisBroker } from "../../src/engine/broker/redis/index.js";
import type { TestRedis } from "../helpers/redis.js";
import type { OpenCluster } from "./broker-kit.js";

/** Collects what brokers log, so a test can assert on it and the output stays quiet. */
export const quietLog = (into: string[] = []) => (msg: string) => void into.push(msg);

export function redisCluster(server: () => TestRedis, size = 2, log = quietLog()): OpenCluster {
  return async () => {
    const prefix = `sbtest-${randomUUID().slice(0, 8)}:`;
    const { url } = server();
    const brokers = Array.from({ length: size }, (_, i) => new RedisBroker({ url, prefix, nodeId: `${prefix}n${i}`, log }));
    return {
      brokers,
      cleanup: async () => {
        await Promise.all(brokers.map((b) => b.close()));
        await deletePrefix(url, prefix);
      },
    };
  };
}

/** Test cleanup only: SCAN is fine here, never in the broker. */
async function deletePrefix(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true });
  redis.on("error", () => undefined); // the server may be down after an outage test
  try {
    await redis.connect();
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== "0");
  } catch {
    // nothing to clean on a server that is gone
  } finally {
    redis.disconnect();
  }
}
