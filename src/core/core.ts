import type { Broker } from "../engine/broker/types.js";
import type { Store } from "../engine/store/types.js";
import type { Config } from "../config/schema.js";
import { Accounts, type AuthFailure } from "./accounts/accounts.js";
import { Revocations } from "./accounts/revocations.js";
import { TokenSigner } from "./accounts/tokens.js";
import type { Authenticator } from "./auth.js";
import { Direct } from "./direct.js";
import { Documents } from "./documents/documents.js";
import { Hub, type HubObserver } from "./hub.js";
import { Lobby } from "./lobby/lobby.js";
import { NameClaims } from "./names.js";
import { Presence } from "./presence.js";
import { PresenceLedger } from "./presence-ledger.js";
import { Rooms } from "./rooms.js";
import { RoomAccess } from "./room-access.js";
import { Topics } from "./topics/topics.js";

/** The domain every dialect shares. It does no I/O of its own: the store and broker do. */
/** What the core reports to whoever measures it (the server's metrics); the core imports no metrics itself. */
export interface CoreObservers {
  /** The hub's fan-out: publish-to-fan-out latency and deliveries. */
  hub?: HubObserver;
  /** Every refused login, token and session key. */
  onAuthFailure?: (failure: AuthFailure) => void;
}

export class Core {
  readonly hub: Hub;
  readonly presence: Presence;
  /** This node's presence entries, put back when the fleet lost them (see `PresenceLedger`). */
  readonly presenceLedger: PresenceLedger;
  readonly rooms: Rooms;
  readonly direct: Direct;
  /** Closed/open rooms, administrators, invite passes, kicks and bans. */
  readonly access: RoomAccess;
  readonly names: NameClaims;
  readonly revocations: Revocations;
  readonly accounts: Accounts;
  /** Revisioned JSON documents (really's collections, fuse's saved records). */
  readonly documents: Documents;
  /** Game lobby and rooms (fuse): one room per logged-in user, creator-keyed rooms, allies, away. */
  readonly lobby: Lobby;
  /** Topic publish/subscribe with bounded history, topic presence and resumable sessions (pubsub). */
  readonly topics: Topics;
  /** What dialects use to turn a token into an identity. */
  readonly auth: Authenticator;

  constructor(
    readonly store: Store,
    readonly broker: Broker,
    /** Token secrets (newest first) and the settings the core's services read their own section of. */
    options: { secrets: string[]; config: Config; observers?: CoreObservers },
    readonly now: () => number = Date.now,
  ) {
    const { secrets, config, observers = {} } = options;
    this.names = new NameClaims(broker.claims, broker.nodeId);
    this.hub = new Hub(
      broker,
      (channel, from, to) => store.history.read(channel, { from, before: to, limit: to - from, take: "oldest" }),
      (channel) => store.history.lastSeq(channel),
      config.cluster.positionCheckMs,
      observers.hub,
    );
    this.presenceLedger = new PresenceLedger(broker.presence);
    this.presence = new Presence(this.presenceLedger, broker.nodeId);
    this.access = new RoomAccess(store, this.hub, now);
    this.rooms = new Rooms(store, this.hub, this.presence, this.access, now);
    this.direct = new Direct(this.hub, now);
    this.revocations = new Revocations(store, this.hub);
    this.accounts = new Accounts(store, new TokenSigner(secrets), this.revocations, config.auth, broker.counters, observers.onAuthFailure);
    this.documents = new Documents(store.documents, this.hub, config.really, now);
    this.lobby = new Lobby(store, this.hub, broker, this.presence, this.presenceLedger, now);
    this.auth = this.accounts;
    this.topics = new Topics(store, this.hub, this.presence, this.revocations, config.pubsub, now);
  }

  async start(): Promise<void> {
    this.names.start();
    await this.hub.start();
    await this.revocations.start();
    await this.rooms.start();
  }

  /** Stops the core's own timers (claims renewal, position checks). */
  stop(): void {
    this.names.stop();
    this.hub.stop();
  }
}
