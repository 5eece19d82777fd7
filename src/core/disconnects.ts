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
  /** A user's watcher itself while it is the only one (a guest is its own user): a Set only from the second. */
  private readonly watchers = new Map<string, DisconnectWatcher | Set<DisconnectWatcher>>();

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
    const found = this.watchers.get(userId);
    if (found === undefined) this.watchers.set(userId, watcher);
    else if (found instanceof Set) found.add(watcher);
    else if (found !== watcher) this.watchers.set(userId, new Set([found, watcher]));
    return () => this.unwatch(userId, watcher);
  }

  unwatch(userId: string, watcher: DisconnectWatcher): void {
    const found = this.watchers.get(userId);
    if (found === watcher || (found instanceof Set && found.delete(watcher) && found.size === 0)) this.watchers.delete(userId);
  }

  /** How many of this node's connections watch the user (for tests and stats). */
  watching(userId: string): number {
    const found = this.watchers.get(userId);
    return found === undefined ? 0 : found instanceof Set ? found.size : 1;
  }

  /** Orders every node to close the user's connections. Nothing is stored: a reconnect is allowed. */
  async disconnect(userId: string, reason: string): Promise<void> {
    await this.hub.publish({ channel: CHANNEL, type: "disconnect", time: Date.now(), sender: { id: "system", name: "system" }, data: { user: userId, reason } });
  }

  private fire(order: Disconnect): void {
    const found = this.watchers.get(order.userId);
    if (found !== undefined) {
      this.watchers.delete(order.userId);
      if (found instanceof Set) for (const w of found) tell(w, order);
      else tell(found, order);
    }
    this.endCredentials(order.userId);
  }
}

function tell(watcher: DisconnectWatcher, order: Disconnect): void {
  if (typeof watcher === "function") watcher(order);
  else watcher.disconnected(order);
}
