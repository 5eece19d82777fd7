import type { Hub } from "./hub.js";

/** Announced fleet-wide: the user's connections may be on any node. */
const CHANNEL = "sys:disconnects";

export interface Disconnect {
  userId: string;
  /** Shown to the operator's logs and, where a dialect has a place for it, to the client. */
  reason: string;
}

/**
 * "Disconnect this user everywhere": an operator's order, broadcast on a
 * system channel that every node listens to. A session registers its user
 * with `watch` when it learns who it is and calls the returned function when
 * it closes; every node then closes its own connections of that user.
 *
 * Sockets opened with a credential (a token or a session key) are closed
 * through their credential's watch as well (see `Revocations`), so they obey
 * even in a dialect whose sessions do not call `watch`; guests without a
 * credential need the session's `watch` to be reached.
 */
/** A function, or an object told through its method (a connection: no closure kept per connection). */
export type DisconnectWatcher = ((order: Disconnect) => void) | { disconnected(order: Disconnect): void };

export class Disconnects {
  private readonly watchers = new Map<string, Set<DisconnectWatcher>>();

  constructor(
    private readonly hub: Hub,
    /** Also ends the credential watches of the user on this node. */
    private readonly endCredentials: (userId: string) => void = () => undefined,
  ) {}

  start(): Promise<void> {
    return this.hub.listen(CHANNEL, (event) => {
      const { user, reason } = event.data;
      if (typeof user === "string") this.fire({ userId: user, reason: typeof reason === "string" ? reason : "disconnected" });
    });
  }

  /** Calls `fn` when the user is disconnected (on any node's order); returns the way to stop watching. */
  watch(userId: string, watcher: DisconnectWatcher): () => void {
    let set = this.watchers.get(userId);
    if (!set) this.watchers.set(userId, (set = new Set()));
    set.add(watcher);
    return () => this.unwatch(userId, watcher);
  }

  unwatch(userId: string, watcher: DisconnectWatcher): void {
    const set = this.watchers.get(userId);
    if (!set?.delete(watcher)) return;
    if (set.size === 0) this.watchers.delete(userId);
  }

  /** How many of this node's connections watch the user (for tests and stats). */
  watching(userId: string): number {
    return this.watchers.get(userId)?.size ?? 0;
  }

  /** Orders every node to close the user's connections. Nothing is stored: a reconnect is allowed. */
  async disconnect(userId: string, reason: string): Promise<void> {
    await this.hub.publish({ channel: CHANNEL, type: "disconnect", time: Date.now(), sender: { id: "system", name: "system" }, data: { user: userId, reason } });
  }

  private fire(order: Disconnect): void {
    const set = this.watchers.get(order.userId);
    if (set) {
      this.watchers.delete(order.userId);
      for (const w of set) {
        if (typeof w === "function") w(order);
        else w.disconnected(order);
      }
    }
    this.endCredentials(order.userId);
  }
}
