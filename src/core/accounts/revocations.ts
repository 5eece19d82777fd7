import type { Store } from "../../engine/store/types.js";
import type { Hub } from "../hub.js";

const CHANNEL = "sys:revocations";
const NS = "revoked";

/**
 * Revoked credentials (token ids, session keys): recorded in the store so
 * every node refuses them, and announced through the broker so every node
 * closes the sockets that still use them.
 */
export class Revocations {
  private readonly watchers = new Map<string, Set<() => void>>();

  constructor(
    private readonly store: Store,
    private readonly hub: Hub,
  ) {}

  start(): Promise<void> {
    return this.hub.listen(CHANNEL, (event) => {
      if (typeof event.data.id === "string") this.fire(event.data.id);
    });
  }

  /** Calls `fn` once if `id` is revoked; returns the way to stop watching (call it on close). */
  watch(id: string, fn: () => void): () => void {
    let set = this.watchers.get(id);
    if (!set) this.watchers.set(id, (set = new Set()));
    set.add(fn);
    return () => {
      set.delete(fn);
      if (set.size === 0 && this.watchers.get(id) === set) this.watchers.delete(id);
    };
  }

  async isRevoked(id: string): Promise<boolean> {
    return (await this.store.kv.get(NS, id)) !== null;
  }

  /** `until`: when the credential would have expired anyway, so the record can go then. */
  async revoke(id: string, until: number | null): Promise<void> {
    await this.store.kv.put(NS, id, { at: Date.now() }, until);
    await this.hub.publish({ channel: CHANNEL, type: "revoked", time: Date.now(), sender: { id: "system", name: "system" }, data: { id } });
  }

  private fire(id: string): void {
    const set = this.watchers.get(id);
    if (!set) return;
    this.watchers.delete(id);
    for (const fn of set) fn();
  }
}
