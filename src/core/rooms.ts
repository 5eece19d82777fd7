import type { JsonObject } from "./json.js";
import type { ReadQuery, RoomRecord, Store, StoredEvent } from "../engine/store/types.js";
import type { Hub } from "./hub.js";
import type { Presence } from "./presence.js";
import type { RoomAccess } from "./room-access.js";
import { changeRoom, keepsNoContent, markNoRetention, RoomRefusal } from "./room-records.js";
import { channels, type CoreEvent, type Identity, type Subscriber, type UserRef } from "./types.js";

export type JoinResult =
  | {
      ok: true;
      room: RoomRecord;
      /** The members, one per user, the joiner included (shared: read-only). */
      members: readonly Identity[];
      /** The newest stored events, oldest first. */
      history: StoredEvent[];
      /** Call once the snapshot has been sent: live events follow, none twice. */
      release: () => void;
    }
  | { ok: false; code: "room.banned" | "room.closed" };

export interface Except {
  user?: string;
  conn?: string;
}

export function newRoom(id: string, now: number, creator: string | null = null): RoomRecord {
  return { id, topic: "", closed: false, locked: false, capacity: null, creator, admins: creator ? [creator] : [], bans: [], meta: {}, created: now, rev: 0 };
}

const SETTLED: Promise<void> = Promise.resolve();

/** Announces, fleet-wide, that a room stopped keeping content: every node's cached answer changes at once. */
const RETENTION = "sys:room-retention";
/** How long a room's "keeps content" stays believed without a new read (a missed announcement costs at most this). */
const RETENTION_FRESH_MS = 1000;
/** Past this many cached answers the cache starts over: a bound on memory, not a policy. */
const RETENTION_CACHE_MAX = 50_000;

/** Rooms: membership, presence, stored events with gapless seq, and ephemeral signals. */
export class Rooms {
  /** Room records being read for their retention, shared by the posts that wait on them (see `mayStore`). */
  private readonly retentionReads = new Map<string, Promise<void>>();
  /**
   * What the last read said: "keeps no content" is final (a room never goes
   * back), "keeps content" holds for `RETENTION_FRESH_MS` or until a node
   * announces the change — so a busy room is not read from the store per message.
   */
  private readonly retention = new Map<string, { none: boolean; until: number }>();

  constructor(
    private readonly store: Store,
    private readonly hub: Hub,
    private readonly presence: Presence,
    private readonly access: RoomAccess,
    private readonly now: () => number = Date.now,
  ) {
    // A member whose node died leaves as if its connection dropped.
    presence.onDeparture("room:", async (channel, who, last) => {
      if (last) await this.departed(channel.slice("room:".length), who, "disconnect");
    });
  }

  /** Kicks reach every dialect's members of the room, on whichever node they are connected. */
  async start(): Promise<void> {
    await this.hub.listen(RETENTION, (e) => {
      if (typeof e.data.room === "string") this.remember(e.data.room, true);
    });
    await this.access.watchKicks((kick) => {
      for (const sub of this.hub.localSubscribers(this.stream(kick.roomId))) {
        if (sub.user.id === kick.userId) sub.kickedFrom?.(kick.roomId, kick.permanent);
      }
    });
  }

  stream(roomId: string): string {
    return channels.room(roomId);
  }

  get(roomId: string): Promise<RoomRecord | null> {
    return this.store.rooms.get(roomId);
  }

  /** Every room any dialect made (instalk, relay, really, fuse game rooms), a page at a time in id order. */
  list(query: { after?: string; limit: number; ascending: boolean }): Promise<RoomRecord[]> {
    return this.store.rooms.list(query);
  }

  async open(roomId: string, creator: string | null = null): Promise<RoomRecord> {
    const room = await changeRoom(this.store.rooms, roomId, (current) => (current ? null : newRoom(roomId, this.now(), creator)));
    return room!;
  }

  async join(sub: Subscriber, who: Identity, roomId: string, historyLimit: number): Promise<JoinResult> {
    const channel = this.stream(roomId);
    // Bans and closed rooms hold here for every dialect; a missing room is created with the joiner as its administrator.
    const present = (await this.presence.members(channel)).some((m) => m.id === who.id);
    const admitted = await this.access.admit(roomId, who.id, present);
    if (!admitted.ok) return { ok: false, code: admitted.code === "room.banned" ? "room.banned" : "room.closed" };
    const room = admitted.room;
    const attachment = await this.hub.attach(channel, sub, true);
    const first = await this.presence.add(channel, sub.connId, who);
    // Not filtered here: a copy per join of a big room's list is what the dialect's rendering skips the joiner to avoid.
    const members = await this.presence.members(channel);
    const history = historyLimit > 0 ? await this.store.history.read(channel, { limit: historyLimit, take: "newest" }) : [];
    if (first) await this.notice(roomId, who, "joined", profile(who), { user: who.id });
    const floor = history.length > 0 ? history[history.length - 1].seq : 0;
    return { ok: true, room, members, history, release: () => attachment.release(floor) };
  }

  /** `how` tells the others whether the user left on purpose or its connection went away. */
  async leave(sub: Subscriber, who: Identity, roomId: string, how: "leave" | "disconnect"): Promise<void> {
    const channel = this.stream(roomId);
    this.hub.detach(channel, sub.connId);
    const last = await this.presence.remove(channel, sub.connId, who.id);
    if (last) await this.departed(roomId, who, how);
  }

  /**
   * The user's last connection is out of the room: one `left` for every
   * dialect. When it went without leaving, a `disconnect` comes first: the
   * seed's instalk clients read that, the original instalk client reads the
   * `left` after it, and only instalk renders `disconnect` (publishes from one
   * node keep their order, so it never follows the `left`).
   */
  private async departed(roomId: string, who: Identity, how: "leave" | "disconnect"): Promise<void> {
    if (how === "disconnect") await this.notice(roomId, who, "disconnect", profile(who));
    await this.notice(roomId, who, "left", { ...profile(who), how });
  }

  isMember(sub: Subscriber, roomId: string): boolean {
    return this.hub.isAttached(this.stream(roomId), sub.connId);
  }

  members(roomId: string): Promise<readonly Identity[]> {
    return this.presence.members(this.stream(roomId));
  }

  /**
   * Stores the event (group-committed), then fans it out: nobody hears of it
   * before it is durable. When the room's retention is known (nearly always)
   * the append is queued within this call, with no turn of waiting between.
   */
  post(roomId: string, sender: UserRef, type: string, data: JsonObject): Promise<StoredEvent> {
    const known = this.retentionReads.has(roomId) ? null : this.knownRetention(roomId);
    if (known === "keeps") return this.append(roomId, sender, type, data);
    if (known === "none") return Promise.reject(new RoomRefusal("room.no-retention", roomId));
    return this.mayStore(roomId).then(() => this.append(roomId, sender, type, data));
  }

  private append(roomId: string, sender: UserRef, type: string, data: JsonObject): Promise<StoredEvent> {
    const event = { type, time: this.now(), sender: { id: sender.id, name: sender.name }, data: withSenderProfile(sender, data) };
    return this.store.history.append(this.stream(roomId), event).then((stored) => this.hub.publishStored(toCoreEvent(stored)).then(() => stored));
  }

  /** What the cache says of the room: "keeps", "none", or null (read it). Believed only while no read of it is pending. */
  private knownRetention(roomId: string): "keeps" | "none" | null {
    const known = this.retention.get(roomId);
    if (!known) return null;
    if (known.none) return "none";
    return known.until > this.now() ? "keeps" : null;
  }

  /**
   * Rejects with `RoomRefusal` for a room that keeps no content (relay's):
   * nothing of the event is stored or sent. A sender's appends keep the order
   * of its calls by construction: while a room's record is being read every
   * post to that room awaits that same read (their continuations run in call
   * order, right after the read is let go), and the cached answer is used only
   * when no read is pending.
   */
  mayStore(roomId: string): Promise<void> {
    const pending = this.retentionReads.get(roomId);
    if (pending) return pending;
    const known = this.knownRetention(roomId);
    if (known !== null) return known === "none" ? Promise.reject(new RoomRefusal("room.no-retention", roomId)) : SETTLED;
    const started = this.now();
    const reading = this.store.rooms.get(roomId).then((room) => {
      if (this.remember(roomId, keepsNoContent(room), started)) throw new RoomRefusal("room.no-retention", roomId);
    });
    // Registered before any post awaits `reading`: the map is cleared first, then the posts resume, in order.
    const forget = () => this.retentionReads.get(roomId) === reading && this.retentionReads.delete(roomId);
    reading.then(forget, forget);
    this.retentionReads.set(roomId, reading);
    return reading;
  }

  /** Marks the room as keeping no content (relay's rooms): this node stops storing into it now, the others when they hear. */
  async markUnstored(roomId: string): Promise<RoomRecord | null> {
    const room = await markNoRetention(this.store.rooms, roomId);
    this.remember(roomId, true);
    // Unheard (a broker outage), the other nodes still stop within RETENTION_FRESH_MS.
    await this.hub.publish({ channel: RETENTION, type: "retention", time: this.now(), sender: { id: "system", name: "system" }, data: { room: roomId } }).catch(() => undefined);
    return room;
  }

  /**
   * Notes what a read started at `since` said. "Keeps no content" is final:
   * a read that began before the room was marked (and ends after) cannot
   * take it back.
   */
  private remember(roomId: string, none: boolean, since = this.now()): boolean {
    if (this.retention.get(roomId)?.none) return true;
    if (this.retention.size >= RETENTION_CACHE_MAX) this.retention.clear();
    this.retention.set(roomId, { none, until: since + RETENTION_FRESH_MS });
    return none;
  }

  signal(roomId: string, sender: UserRef, type: string, data: JsonObject, except: Except = {}, lazy = false): Promise<void> {
    const event: CoreEvent = {
      channel: this.stream(roomId),
      type,
      time: this.now(),
      sender: { id: sender.id, name: sender.name },
      data,
      exceptUser: except.user,
      exceptConn: except.conn,
      ...(lazy ? { lazy } : {}),
    };
    return this.hub.publish(event);
  }

  /** Membership news (joined, left): written with the next presence window, so N joins do not cost each member N writes. */
  private notice(roomId: string, who: Identity, type: string, data: JsonObject, except: Except = {}): Promise<void> {
    return this.signal(roomId, who, type, data, except, true);
  }

  async setTopic(roomId: string, sender: UserRef, topic: string): Promise<StoredEvent> {
    await this.mayStore(roomId);
    await this.access.modify(roomId, (room) => ({ ...room, topic }));
    return this.post(roomId, sender, "set-room-topic", { topic });
  }

  /** After a rename: refresh presence so member lists show the new name. */
  async renamed(sub: Subscriber, who: Identity, roomId: string): Promise<void> {
    await this.presence.update(this.stream(roomId), sub.connId, who);
  }

  history(roomId: string, query: ReadQuery): Promise<StoredEvent[]> {
    return this.store.history.read(this.stream(roomId), query);
  }

  lastSeq(roomId: string): Promise<number> {
    return this.store.history.lastSeq(this.stream(roomId));
  }
}

/** What other members need to show a user: carried on joined/left signals. */
export function profile(who: Identity): JsonObject {
  return { color: who.color, verified: who.verified, guest: who.guest };
}

/** A sender that is a whole identity (a connection's user), not just a name (the system). */
export function isIdentity(who: UserRef): who is Identity {
  const w = who as Partial<Identity>;
  return typeof w.color === "string" && typeof w.verified === "boolean" && typeof w.guest === "boolean";
}

/**
 * A stored event keeps its sender's profile under `by` (when the sender is a
 * connection's identity), because the store keeps only a sender's id and name:
 * instalk shows a stored event's `sender` as a whole User, really says whether
 * its author was anonymous (`opBy.authType`).
 */
export function withSenderProfile(sender: UserRef, data: JsonObject): JsonObject {
  if (!isIdentity(sender)) return data;
  // One per identity (a session's identity is replaced, never changed): not one per message.
  let by = profiles.get(sender);
  if (!by) profiles.set(sender, (by = Object.freeze(profile(sender))));
  // An own `__proto__` key (JSON.parse makes one) would set the copy's prototype in the loop below: the spread keeps it as data.
  if (Object.hasOwn(data, "__proto__")) return { ...data, by };
  // A plain copy loop: spreading objects of many shapes (every dialect's data) made this the durable path's costliest line after the parse.
  const out: JsonObject = {};
  for (const key of Object.keys(data)) out[key] = data[key];
  out.by = by;
  return out;
}

const profiles = new WeakMap<Identity, JsonObject>();

export function toCoreEvent(stored: StoredEvent): CoreEvent {
  return { channel: stored.stream, type: stored.type, seq: stored.seq, time: stored.time, sender: stored.sender, data: stored.data };
}
