import type { Redis } from "ioredis";
import type { JsonObject } from "../../../core/json.js";
import type { Claims, Counters, NodeInfo, NodeRegistry, PresenceDeparture, PresenceEntry, PresenceManager } from "../types.js";
import * as lua from "./scripts.js";

/** Every key and channel name of one fleet, all under its prefix. */
export class RedisKeys {
  constructor(readonly prefix: string) {}
  /** Pub/sub channel of a broker channel. */
  event = (channel: string) => `${this.prefix}ch:${channel}`;
  get eventPrefix() {
    return `${this.prefix}ch:`;
  }
  /** Pub/sub channel announcing new settings (every node subscribes from start()). */
  get settingsChannel() {
    return `${this.prefix}sys:settings`;
  }
  entries = (channel: string) => `${this.prefix}pr:${channel}`;
  counts = (channel: string) => `${this.prefix}pu:${channel}`;
  nodeIndex = (node: string) => `${this.prefix}pn:${node}`;
  counter = (key: string) => `${this.prefix}cnt:${key}`;
  claim = (key: string) => `${this.prefix}cl:${key}`;
  get nodes() {
    return `${this.prefix}nodes`;
  }
  get settings() {
    return `${this.prefix}settings`;
  }
}

/** Entries one removeNode script removes; small enough to keep each script short, so Redis is never blocked long. */
const REMOVE_BATCH = 200;

/** Redis expiries are whole milliseconds, at least 1. */
export const ttl = (ms: number) => Math.max(1, Math.ceil(ms));

export function checkBy(by: number): void {
  if (!Number.isSafeInteger(by)) throw new RangeError(`counters add whole numbers, not ${by}`);
}

export function redisPresence(redis: Redis, keys: RedisKeys): PresenceManager {
  return {
    async add(channel, entry) {
      const first = await lua.presenceAdd.run(redis, [keys.entries(channel), keys.counts(channel), keys.nodeIndex(entry.node)],
        [keys.prefix, channel, entry.key, JSON.stringify(entry), entry.user.id, entry.node]);
      return { firstForUser: first === 1 };
    },
    async remove(channel, key) {
      const r = await lua.presenceRemove.run(redis, [keys.entries(channel), keys.counts(channel)], [keys.prefix, channel, key]);
      return { removed: r === 1 || r === 2, lastForUser: r === 2 };
    },
    async list(channel) {
      const values = await redis.hvals(keys.entries(channel));
      return values.map((v) => JSON.parse(v) as PresenceEntry);
    },
    async removeNode(node) {
      const out: PresenceDeparture[] = [];
      for (;;) {
        const reply = await lua.presenceRemoveNode.run(redis, [keys.nodeIndex(node)], [keys.prefix, node, REMOVE_BATCH]);
        if (!Array.isArray(reply)) throw new Error("unexpected reply from the removeNode script");
        const [popped, ...flat] = reply as [number, ...Array<string | number>];
        for (let i = 0; i + 2 < flat.length; i += 3) {
          out.push({ channel: String(flat[i]), entry: JSON.parse(String(flat[i + 1])) as PresenceEntry, lastForUser: flat[i + 2] === 1 });
        }
        if (popped < REMOVE_BATCH) return out;
      }
    },
  };
}

export function redisCounters(redis: Redis, keys: RedisKeys): Counters {
  return {
    async incr(key, ttlMs, by = 1) {
      checkBy(by);
      return Number(await lua.counterIncr.run(redis, [keys.counter(key)], [ttl(ttlMs), by]));
    },
    async get(key) {
      return Number((await redis.get(keys.counter(key))) ?? 0);
    },
    async reset(key) {
      await redis.del(keys.counter(key));
    },
  };
}

export function redisClaims(redis: Redis, keys: RedisKeys): Claims {
  return {
    async claim(key, owner, ttlMs) {
      return (await lua.claim.run(redis, [keys.claim(key)], [owner, ttl(ttlMs)])) === 1;
    },
    async release(key, owner) {
      await lua.release.run(redis, [keys.claim(key)], [owner]);
    },
    async owner(key) {
      return redis.get(keys.claim(key));
    },
  };
}

export function redisNodes(redis: Redis, keys: RedisKeys): NodeRegistry {
  return {
    async beat(info) {
      await redis.hset(keys.nodes, info.id, JSON.stringify(info));
    },
    async list() {
      const all = await redis.hvals(keys.nodes);
      return all.map((v) => JSON.parse(v) as NodeInfo);
    },
    async remove(id) {
      return (await redis.hdel(keys.nodes, id)) === 1;
    },
  };
}

export async function readSettings(redis: Redis, keys: RedisKeys): Promise<JsonObject> {
  const raw = await redis.get(keys.settings);
  return raw === null ? {} : (JSON.parse(raw) as JsonObject);
}

/** Stores the settings and announces them in one transaction, so a node that hears the announcement reads the same. */
export async function writeSettings(redis: Redis, keys: RedisKeys, settings: JsonObject): Promise<void> {
  const json = JSON.stringify(settings);
  const results = await redis.multi().set(keys.settings, json).publish(keys.settingsChannel, json).exec();
  const failed = results?.find(([err]) => err);
  if (!results || failed) throw failed?.[0] ?? new Error("the settings transaction was aborted");
}
