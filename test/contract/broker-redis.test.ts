// The broker contract and the liveness cases on Redis: RedisBrokers on one
// throwaway redis-server (test/helpers/redis.ts). Skipped, loudly, when no
// redis-server binary is installed.
import { after, before, describe } from "node:test";
import { redisSkipReason, useRedis } from "../helpers/redis.js";
import { brokerContract } from "./broker.contract.js";
import { livenessCases } from "./broker-liveness.contract.js";
import { redisCluster } from "./broker-redis-cluster.js";

const skip = redisSkipReason();

describe("Redis broker", { skip: skip ?? false }, () => {
  const current = useRedis({ before, after });

  brokerContract("redis", redisCluster(current, 2));
  livenessCases("redis", redisCluster(current, 3));
});
