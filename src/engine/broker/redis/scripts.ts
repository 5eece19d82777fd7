import { createHash } from "node:crypto";
import type { Redis } from "ioredis";

/**
 * A Lua script run by hash, loaded again when Redis answers NOSCRIPT (its
 * script cache is empty after a restart). A script runs atomically, which is
 * what makes presence "first"/"last", counters' windows and claims exact
 * across nodes.
 */
export class LuaScript {
  private readonly sha: string;

  constructor(private readonly source: string) {
    this.sha = createHash("sha1").update(source).digest("hex");
  }

  async run(redis: Redis, keys: string[], args: Array<string | number>): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith("NOSCRIPT")) throw err;
      return redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}

// Presence layout, per channel C (P is the prefix):
//   P pr:C   hash  entry key → entry JSON
//   P pu:C   hash  user id → number of that user's entries in C
//   P pn:N   set   one member per entry of node N: "<byte length of C>:<C><entry key>"
// The node index lets removeNode find a node's entries without scanning Redis.
// Scripts touch the index of an entry's previous node by computed name, which a
// standalone Redis allows (Redis Cluster would not: not supported).

/** Lua: the node-index member of (channel, key); length-prefixed so any channel name is unambiguous. */
const MEMBER = "local function member(channel, key) return string.len(channel) .. ':' .. channel .. key end\n";

/** Lua: one entry of user `uid` fewer in the counts hash; returns 1 when it was the user's last. */
const COUNT_DOWN = `local function countDown(countsKey, uid)
  local left = redis.call('HINCRBY', countsKey, uid, -1)
  if left <= 0 then redis.call('HDEL', countsKey, uid) return 1 end
  return 0
end
`;

/**
 * KEYS: entries, counts, index of the new entry's node.
 * ARGV: prefix, channel, entry key, entry JSON, user id, node.
 * Returns 1 when the user had no entry in the channel before.
 */
export const presenceAdd = new LuaScript(MEMBER + COUNT_DOWN + `
local old = redis.call('HGET', KEYS[1], ARGV[3])
redis.call('HSET', KEYS[1], ARGV[3], ARGV[4])
local m = member(ARGV[2], ARGV[3])
redis.call('SADD', KEYS[3], m)
if old then
  local e = cjson.decode(old)
  if e.node ~= ARGV[6] then redis.call('SREM', ARGV[1] .. 'pn:' .. e.node, m) end
  -- The user replacing its own entry keeps its count: not a first.
  if e.user.id == ARGV[5] then return 0 end
  countDown(KEYS[2], e.user.id)
end
if redis.call('HINCRBY', KEYS[2], ARGV[5], 1) == 1 then return 1 end
return 0
`);

/**
 * KEYS: entries, counts. ARGV: prefix, channel, entry key.
 * Returns 0 when there was no such entry, 1 when removed, 2 when removed and it was the user's last.
 */
export const presenceRemove = new LuaScript(MEMBER + COUNT_DOWN + `
local old = redis.call('HGET', KEYS[1], ARGV[3])
if not old then return 0 end
redis.call('HDEL', KEYS[1], ARGV[3])
local e = cjson.decode(old)
redis.call('SREM', ARGV[1] .. 'pn:' .. e.node, member(ARGV[2], ARGV[3]))
return 1 + countDown(KEYS[2], e.user.id)
`);

/**
 * Removes up to ARGV[3] entries of node ARGV[2]. KEYS: the node's index. ARGV: prefix, node, batch size.
 * SPOP hands each index member to exactly one caller, so racing callers report disjoint entries.
 * Returns { popped, channel1, json1, last1, channel2, … }; callers repeat until fewer than a batch were popped.
 */
export const presenceRemoveNode = new LuaScript(COUNT_DOWN + `
local popped = redis.call('SPOP', KEYS[1], tonumber(ARGV[3]))
local out = { #popped }
for _, m in ipairs(popped) do
  local colon = string.find(m, ':', 1, true)
  local len = tonumber(string.sub(m, 1, colon - 1))
  local channel = string.sub(m, colon + 1, colon + len)
  local key = string.sub(m, colon + len + 1)
  local entries = ARGV[1] .. 'pr:' .. channel
  local old = redis.call('HGET', entries, key)
  if old then
    local e = cjson.decode(old)
    if e.node == ARGV[2] then
      redis.call('HDEL', entries, key)
      local last = countDown(ARGV[1] .. 'pu:' .. channel, e.user.id)
      table.insert(out, channel)
      table.insert(out, old)
      table.insert(out, last)
    end
  end
end
return out
`);

/** KEYS: counter. ARGV: ttl ms, by. The expiry is set only by the add that starts the window. */
export const counterIncr = new LuaScript(`
local v = redis.call('INCRBY', KEYS[1], ARGV[2])
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return v
`);

/** KEYS: claim. ARGV: owner, ttl ms. Free (or expired) or already the owner's: (re)claimed with a fresh expiry. */
export const claim = new LuaScript(`
local cur = redis.call('GET', KEYS[1])
if cur == false or cur == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
`);

/** KEYS: claim. ARGV: owner. Deletes only the owner's own claim. */
export const release = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0
`);
