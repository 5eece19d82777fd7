import type { JsonObject } from "../../../core/json.js";
import type { CoreEvent } from "../../../core/types.js";
import type { NodeInfo, PresenceDeparture, PresenceEntry } from "../types.js";

/** What the network needs of a member node: LocalBroker implements it. */
export interface LocalMember {
  /** Called on a microtask for each event published to a channel the member subscribed. */
  receive(event: CoreEvent): void;
  /** Called on a microtask after any member set the settings. */
  settingsChanged(settings: JsonObject): void;
}

/** Copies the way a trip through JSON (and Redis) would: no shared objects, undefined fields dropped. */
export const jsonCopy = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** Expired counters and claims are dropped when read, and swept every this many writes. */
const SWEEP_EVERY = 1024;

interface ChannelPresence {
  entries: Map<string, PresenceEntry>;
  /** Entries per user id, so "first" and "last" are O(1). */
  users: Map<string, number>;
  /** The entries as a list, made at the first list after a change and shared by every list until the next one. */
  listed: readonly PresenceEntry[] | null;
}

/** Deep-frozen: an entry handed out is shared by every reader, so nobody may change it. */
function frozen<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const inner of Object.values(value)) frozen(inner);
    Object.freeze(value);
  }
  return value;
}

/**
 * A shared in-memory stand-in for Redis. Every LocalBroker on one network
 * sees the same presence, counters, claims, registry and settings, and hears
 * the others' publishes, so a cluster of several nodes can run in one process
 * (the contract and liveness tests do). Everything here is synchronous, which
 * makes each operation atomic the way a Lua script is on Redis.
 */
export class LocalNetwork {
  private readonly members = new Set<LocalMember>();
  private readonly subscribers = new Map<string, Set<LocalMember>>();
  private readonly channels = new Map<string, ChannelPresence>();
  /** node id → channel → keys of that node's entries there. */
  private readonly byNode = new Map<string, Map<string, Set<string>>>();
  private readonly counters = new Map<string, { value: number; expires: number }>();
  private readonly claims = new Map<string, { owner: string; expires: number }>();
  private readonly nodes = new Map<string, NodeInfo>();
  private settings: JsonObject = {};
  private writes = 0;

  // ---- membership and fan-out ----

  join(member: LocalMember): void {
    this.members.add(member);
  }

  leave(member: LocalMember): void {
    this.members.delete(member);
    for (const [channel, set] of this.subscribers) {
      set.delete(member);
      if (set.size === 0) this.subscribers.delete(channel);
    }
  }

  subscribe(channel: string, member: LocalMember): void {
    let set = this.subscribers.get(channel);
    if (!set) this.subscribers.set(channel, (set = new Set()));
    set.add(member);
  }

  unsubscribe(channel: string, member: LocalMember): void {
    const set = this.subscribers.get(channel);
    if (!set) return;
    set.delete(member);
    if (set.size === 0) this.subscribers.delete(channel);
  }

  /**
   * Queues the event for every member subscribed to its channel now.
   * Microtasks run in queue order, so one publisher's events keep their order,
   * and none runs inside the publisher's call. Every member gets the same
   * object (the hot path stays copy-free): receivers must not mutate events.
   */
  publish(event: CoreEvent): void {
    const set = this.subscribers.get(event.channel);
    if (!set) return;
    for (const member of set) queueMicrotask(() => member.receive(event));
  }

  // ---- presence ----

  presenceAdd(channel: string, entry: PresenceEntry): { firstForUser: boolean } {
    let ch = this.channels.get(channel);
    if (!ch) this.channels.set(channel, (ch = { entries: new Map(), users: new Map(), listed: null }));
    const old = ch.entries.get(entry.key);
    // Copied once, as Redis would store it, then shared read-only by every list (joins into a big room list it often).
    // An entry its maker deep-froze (see PresenceManager.add) is already what a copy would be: kept as it is.
    const copy = Object.isFrozen(entry) && Object.isFrozen(entry.user) && Object.isFrozen(entry.info) ? entry : frozen(jsonCopy(entry));
    ch.entries.set(entry.key, copy);
    ch.listed = null;
    if (old) this.unindex(old.node, channel, old.key);
    this.index(copy.node, channel, copy.key);
    // Replacing a user's own entry keeps the count; replacing another user's entry moves one.
    if (old && old.user.id === copy.user.id) return { firstForUser: false };
    if (old) this.countDown(ch, old.user.id);
    const count = (ch.users.get(copy.user.id) ?? 0) + 1;
    ch.users.set(copy.user.id, count);
    return { firstForUser: count === 1 };
  }

  presenceRemove(channel: string, key: string): { removed: boolean; lastForUser: boolean; entry?: PresenceEntry } {
    const ch = this.channels.get(channel);
    const old = ch?.entries.get(key);
    if (!ch || !old) return { removed: false, lastForUser: false };
    ch.entries.delete(key);
    ch.listed = null;
    this.unindex(old.node, channel, key);
    const lastForUser = this.countDown(ch, old.user.id);
    if (ch.entries.size === 0) this.channels.delete(channel);
    return { removed: true, lastForUser, entry: old };
  }

  presenceList(channel: string): readonly PresenceEntry[] {
    const ch = this.channels.get(channel);
    if (!ch) return [];
    return (ch.listed ??= Object.freeze([...ch.entries.values()]));
  }

  presenceRemoveNode(node: string): PresenceDeparture[] {
    const channels = this.byNode.get(node);
    if (!channels) return [];
    const out: PresenceDeparture[] = [];
    for (const [channel, keys] of [...channels]) {
      for (const key of [...keys]) {
        const { removed, lastForUser, entry } = this.presenceRemove(channel, key);
        if (removed && entry) out.push({ channel, entry, lastForUser });
      }
    }
    return out;
  }

  private index(node: string, channel: string, key: string): void {
    let channels = this.byNode.get(node);
    if (!channels) this.byNode.set(node, (channels = new Map()));
    let keys = channels.get(channel);
    if (!keys) channels.set(channel, (keys = new Set()));
    keys.add(key);
  }

  private unindex(node: string, channel: string, key: string): void {
    const channels = this.byNode.get(node);
    const keys = channels?.get(channel);
    if (!channels || !keys) return;
    keys.delete(key);
    if (keys.size === 0) channels.delete(channel);
    if (channels.size === 0) this.byNode.delete(node);
  }

  /** Drops one entry of `userId` from the count; true when it was the user's last. */
  private countDown(ch: ChannelPresence, userId: string): boolean {
    const count = (ch.users.get(userId) ?? 1) - 1;
    if (count > 0) {
      ch.users.set(userId, count);
      return false;
    }
    ch.users.delete(userId);
    return true;
  }

  // ---- counters and claims (expiry by wall clock, like Redis TTLs) ----

  counterIncr(key: string, ttlMs: number, by: number): number {
    if (!Number.isSafeInteger(by)) throw new RangeError(`counters add whole numbers, not ${by}`);
    this.wrote();
    const now = Date.now();
    const cur = this.counters.get(key);
    if (!cur || cur.expires <= now) {
      this.counters.set(key, { value: by, expires: now + ttlMs });
      return by;
    }
    cur.value += by;
    return cur.value;
  }

  counterGet(key: string): number {
    const cur = this.counters.get(key);
    if (!cur) return 0;
    if (cur.expires <= Date.now()) {
      this.counters.delete(key);
      return 0;
    }
    return cur.value;
  }

  counterReset(key: string): void {
    this.counters.delete(key);
  }

  claim(key: string, owner: string, ttlMs: number): boolean {
    this.wrote();
    const now = Date.now();
    const cur = this.claims.get(key);
    if (cur && cur.expires > now && cur.owner !== owner) return false;
    this.claims.set(key, { owner, expires: now + ttlMs });
    return true;
  }

  release(key: string, owner: string): void {
    if (this.claims.get(key)?.owner === owner) this.claims.delete(key);
  }

  claimOwner(key: string): string | null {
    const cur = this.claims.get(key);
    if (!cur) return null;
    if (cur.expires <= Date.now()) {
      this.claims.delete(key);
      return null;
    }
    return cur.owner;
  }

  /** Bounds memory held by keys nobody reads again (a login limit per address). */
  private wrote(): void {
    if (++this.writes % SWEEP_EVERY !== 0) return;
    const now = Date.now();
    for (const [key, c] of this.counters) if (c.expires <= now) this.counters.delete(key);
    for (const [key, c] of this.claims) if (c.expires <= now) this.claims.delete(key);
  }

  // ---- node registry ----

  beat(info: NodeInfo): void {
    this.nodes.set(info.id, jsonCopy(info));
  }

  listNodes(): NodeInfo[] {
    return [...this.nodes.values()].map(jsonCopy);
  }

  removeNode(id: string): boolean {
    return this.nodes.delete(id);
  }

  // ---- live settings ----

  getSettings(): JsonObject {
    return jsonCopy(this.settings);
  }

  setSettings(settings: JsonObject): void {
    this.settings = jsonCopy(settings);
    for (const member of this.members) {
      const copy = jsonCopy(this.settings);
      queueMicrotask(() => member.settingsChanged(copy));
    }
  }
}
