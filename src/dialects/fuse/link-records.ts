import { createHash } from "node:crypto";
import type { JsonObject } from "../../core/json.js";
import type { Fuse } from "./context.js";

/** sid → { node, name, user }: which node an HTTP session lives on. */
const LINKS_NS = "fuse-links";
/** lowercased name → { sid, node }: the same, found by name (written in legacy mode only). */
const NAMES_NS = "fuse-names";

/**
 * A cookie token's public handle. Records, counters and broker channels carry
 * this, never the token: a copy of the store (or a look at the broker) must
 * not hand out live sessions.
 */
export const sidOf = (token: string) => createHash("sha256").update(token).digest("base64url").slice(0, 32);

/** Where the fleet says a session lives. */
export interface Home {
  sid: string;
  node: string;
  /** The session's user name, as recorded. */
  name: string;
  /** How the request named the session: its cookie, or (legacy mode) only its name. */
  via: "cookie" | "name";
  /** The record as read, so that it is removed only while it is unchanged. */
  readonly ns: string;
  readonly key: string;
  readonly record: JsonObject;
}

/** What a node writes of one of its own sessions. */
export interface LinkRecord {
  sid: string;
  /** Also recorded by name (legacy mode). */
  named: boolean;
  value: JsonObject;
}

/**
 * The fleet-wide index of HTTP sessions in the store's kv, so a push or pull
 * that a round-robin balancer sends to another node finds the session's home.
 * Entries expire after twice `fuse.sessionIdleMs` unless renewed: a node that
 * dies leaves nothing behind for long.
 */
export class LinkRecords {
  constructor(private readonly f: Fuse) {}

  private get kv() {
    return this.f.ctx.core.store.kv;
  }

  get node(): string {
    return this.f.ctx.core.broker.nodeId;
  }

  /** How long a record outlives its last renewal. */
  get ttlMs(): number {
    return this.f.ctx.config.fuse.sessionIdleMs * 2;
  }

  /** Records a session of this node; by name too in legacy mode. */
  async add(sid: string, name: string, userId: string): Promise<LinkRecord> {
    const record: LinkRecord = { sid, named: this.f.ctx.config.fuse.legacy, value: { node: this.node, name, user: userId } };
    const expires = Date.now() + this.ttlMs;
    await this.kv.put(LINKS_NS, sid, record.value, expires);
    if (record.named) await this.kv.put(NAMES_NS, name.toLowerCase(), this.nameValue(sid), expires);
    return record;
  }

  /** Pushes the expiry back. An entry that expired meanwhile (a stalled node) is written again. */
  async renew(rec: LinkRecord, alive: () => boolean): Promise<void> {
    const expires = Date.now() + this.ttlMs;
    // Only while unchanged: a renewal racing the session's end must not bring the entry back.
    if (!(await this.kv.compareAndSet(LINKS_NS, rec.sid, rec.value, rec.value, expires)) && alive()) {
      await this.kv.put(LINKS_NS, rec.sid, rec.value, expires);
    }
    if (rec.named) {
      const key = String(rec.value.name).toLowerCase();
      const value = this.nameValue(rec.sid);
      if (!(await this.kv.compareAndSet(NAMES_NS, key, value, value, expires)) && alive()) {
        // A newer session of the name (on any node) keeps its entry.
        await this.kv.compareAndSet(NAMES_NS, key, null, value, expires);
      }
    }
  }

  async remove(rec: LinkRecord): Promise<void> {
    await this.kv.delete(LINKS_NS, rec.sid);
    if (rec.named) await this.kv.compareAndSet(NAMES_NS, String(rec.value.name).toLowerCase(), this.nameValue(rec.sid), null, null);
  }

  /** The home of the cookie's session or, in legacy mode, of the name's. */
  async locate(sid: string | null, name: string): Promise<Home | null> {
    if (sid !== null) {
      const value = await this.kv.get(LINKS_NS, sid);
      if (value && typeof value.node === "string") {
        return { sid, node: value.node, name: String(value.name), via: "cookie", ns: LINKS_NS, key: sid, record: value };
      }
    }
    if (this.f.ctx.config.fuse.legacy && name !== "") {
      const key = name.toLowerCase();
      const value = await this.kv.get(NAMES_NS, key);
      if (value && typeof value.node === "string" && typeof value.sid === "string") {
        return { sid: value.sid, node: value.node, name, via: "name", ns: NAMES_NS, key, record: value };
      }
    }
    return null;
  }

  /** The home did not answer, or no longer has the session: the entry is stale. */
  async forget(home: Home): Promise<void> {
    await this.kv.compareAndSet(home.ns, home.key, home.record, null, null);
    if (home.via === "cookie") return;
    // Found by name: the session's own entry is just as stale if it names the same node.
    const value = await this.kv.get(LINKS_NS, home.sid);
    if (value?.node === home.node) await this.kv.compareAndSet(LINKS_NS, home.sid, value, null, null);
  }

  private nameValue(sid: string): JsonObject {
    return { sid, node: this.node };
  }
}
