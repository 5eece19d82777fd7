import type { Store } from "../../engine/store/types.js";
import { Disconnects } from "../disconnects.js";
import type { Hub } from "../hub.js";

const CHANNEL = "sys:revocations";
const NS = "revoked";
/** Per user: credentials issued up to `before` (ms epoch) no longer hold. */
const USERS_NS = "revoked-users";

/**
 * What a credential's revocation id says: the credential itself (a token id or
 * `key:<digest>`), and — for ids made since users can be revoked as a whole —
 * whose it is and when it was issued. The id stays one opaque string for the
 * dialects, which only store it and hand it back to `watch` and `isRevoked`.
 */
interface CredentialRef {
  credential: string;
  user: string | null;
  issuedAt: number;
}

const SEP = "|";

/** `<credential>|<user id>|<issued at>`: credential ids never hold `|`; a user id may, so it is the middle part. */
export function credentialRef(credential: string, userId: string, issuedAt: number): string {
  return `${credential}${SEP}${userId}${SEP}${Math.floor(issuedAt)}`;
}

function parseRef(id: string): CredentialRef {
  const first = id.indexOf(SEP);
  const last = id.lastIndexOf(SEP);
  const issuedAt = Number(id.slice(last + 1));
  // An id from before this format (kept in a pubsub session record, say) names the credential alone.
  if (first < 0 || last === first || !Number.isFinite(issuedAt)) return { credential: id, user: null, issuedAt: 0 };
  return { credential: id.slice(0, first), user: id.slice(first + 1, last), issuedAt };
}

interface Watch {
  readonly ref: CredentialRef;
  readonly fn: () => void;
}

/**
 * Revoked credentials (token ids, session keys) and revoked users: recorded in
 * the store so every node refuses them, and announced through the broker so
 * every node closes the sockets that still use them.
 */
export class Revocations {
  /** By credential id. */
  private readonly watchers = new Map<string, Set<Watch>>();
  /** The same watches by user id, for a user revoked (or disconnected) as a whole. */
  private readonly byUser = new Map<string, Set<Watch>>();
  /**
   * Ending every connection of a user, on every node. It lives here because
   * a user's credential watches are what already ends authenticated sockets in
   * every dialect; `Core` wires no service of its own for it (yet).
   */
  readonly disconnects: Disconnects;

  constructor(
    private readonly store: Store,
    private readonly hub: Hub,
  ) {
    this.disconnects = new Disconnects(hub, (userId) => this.endUser(userId, Number.POSITIVE_INFINITY));
  }

  async start(): Promise<void> {
    await this.hub.listen(CHANNEL, (event) => {
      const { id, user, before } = event.data;
      if (typeof id === "string") this.fire(id);
      if (typeof user === "string" && typeof before === "number") this.endUser(user, before);
    });
    await this.disconnects.start();
  }

  /** Calls `fn` once if the credential `id` is revoked; returns the way to stop watching (call it on close). */
  watch(id: string, fn: () => void): () => void {
    const entry: Watch = { ref: parseRef(id), fn };
    const { credential, user } = entry.ref;
    let set = this.watchers.get(credential);
    if (!set) this.watchers.set(credential, (set = new Set()));
    set.add(entry);
    let mine: Set<Watch> | undefined;
    if (user !== null) {
      mine = this.byUser.get(user);
      if (!mine) this.byUser.set(user, (mine = new Set()));
      mine.add(entry);
    }
    return () => this.forget(entry, set, mine);
  }

  async isRevoked(id: string): Promise<boolean> {
    const { credential, user, issuedAt } = parseRef(id);
    const [own, whole] = await Promise.all([this.store.kv.get(NS, credential), user === null ? null : this.store.kv.get(USERS_NS, user)]);
    if (own !== null) return true;
    return typeof whole?.before === "number" && issuedAt <= whole.before;
  }

  /** `until`: when the credential would have expired anyway, so the record can go then. */
  async revoke(id: string, until: number | null): Promise<void> {
    await this.store.kv.put(NS, id, { at: Date.now() }, until);
    await this.hub.publish({ channel: CHANNEL, type: "revoked", time: Date.now(), sender: { id: "system", name: "system" }, data: { id } });
  }

  /**
   * Every credential of `userId` issued up to now stops holding, on every node,
   * and the sockets using them are closed. The record is kept without an
   * expiry (one small row per revoked user): a token made with a long `--ttl`
   * may outlive any expiry chosen here.
   */
  async revokeUser(userId: string): Promise<number> {
    const before = Date.now();
    await this.store.kv.put(USERS_NS, userId, { before }, null);
    await this.hub.publish({ channel: CHANNEL, type: "revoked-user", time: before, sender: { id: "system", name: "system" }, data: { user: userId, before } });
    return before;
  }

  /** Until when the user's older credentials are revoked (ms epoch), or null. */
  async userRevokedBefore(userId: string): Promise<number | null> {
    const entry = await this.store.kv.get(USERS_NS, userId);
    return typeof entry?.before === "number" ? entry.before : null;
  }

  private fire(credential: string): void {
    const set = this.watchers.get(credential);
    if (!set) return;
    for (const entry of [...set]) this.end(entry);
  }

  /** Ends this node's watches of the user's credentials issued up to `before`. */
  private endUser(userId: string, before: number): void {
    for (const entry of [...(this.byUser.get(userId) ?? [])]) if (entry.ref.issuedAt <= before) this.end(entry);
  }

  private end(entry: Watch): void {
    this.forget(entry, this.watchers.get(entry.ref.credential), entry.ref.user === null ? undefined : this.byUser.get(entry.ref.user));
    entry.fn();
  }

  private forget(entry: Watch, set: Set<Watch> | undefined, mine: Set<Watch> | undefined): void {
    const { credential, user } = entry.ref;
    if (set?.delete(entry) && set.size === 0 && this.watchers.get(credential) === set) this.watchers.delete(credential);
    if (user !== null && mine?.delete(entry) && mine.size === 0 && this.byUser.get(user) === mine) this.byUser.delete(user);
  }
}
