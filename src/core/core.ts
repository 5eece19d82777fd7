import type { Broker } from "../engine/broker/types.js";
import type { Store } from "../engine/store/types.js";
import { StoreAuthenticator, type Authenticator } from "./auth.js";
import { Hub } from "./hub.js";
import { NameClaims } from "./names.js";
import { Presence } from "./presence.js";
import { Rooms } from "./rooms.js";

/** The domain every dialect shares. It does no I/O of its own: the store and broker do. */
export class Core {
  readonly hub: Hub;
  readonly presence: Presence;
  readonly rooms: Rooms;
  readonly names = new NameClaims();
  auth: Authenticator;

  constructor(
    readonly store: Store,
    readonly broker: Broker,
    readonly now: () => number = Date.now,
  ) {
    this.hub = new Hub(broker, (channel, from, to) =>
      store.history.read(channel, { from, before: to, limit: to - from, take: "oldest" }),
    );
    this.presence = new Presence(broker);
    this.rooms = new Rooms(store, this.hub, this.presence, now);
    this.auth = new StoreAuthenticator(store);
  }

  start(): Promise<void> {
    return this.hub.start();
  }
}
