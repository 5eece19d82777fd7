import type { Broker, PresenceManager } from "../../engine/broker/types.js";
import type { Store } from "../../engine/store/types.js";
import type { Attachment, Hub } from "../hub.js";
import type { JsonObject } from "../json.js";
import { ClusterLock } from "../cluster-lock.js";
import { channels, type CoreEvent, type UserRef } from "../types.js";
import { Allies } from "./allies.js";
import { GameRooms, type GameRoom } from "./game-rooms.js";
import { LocalMembers } from "./local-members.js";
import { neighbours, OCCUPANCY_PREFIX, Occupants, type Occupant } from "./occupants.js";
import type { Presence } from "../presence.js";
import { gameRoomId, LOBBY_EVENTS as E, LOBBY_ROOM, type LobbyMember, type LobbyRefusal, type LobbyResult } from "./types.js";

/** Moves that must happen on the node holding a member's session: replacement, eviction, kicks. */
const CONTROL = "sys:lobby";
/** user id → the room its session is in, so that a newer session (on any node) picks up where it was. */
const WHERE_NS = "lobby.where";
/** A listed room whose creator is nowhere for this long was left behind by a crash: drop it. */
const STALE_MS = 60_000;

const refuse = (code: LobbyRefusal): LobbyResult => ({ ok: false, code });
const done: LobbyResult = { ok: true, finish: () => undefined };

export interface ListedRoom extends GameRoom {
  members: number;
}

/**
 * The game lobby: every logged-in user is in exactly one room, the lobby or a
 * game room keyed by its creator. Rooms, bans and where each user is live in
 * the store; who is in a room is cluster presence; moves the lobby makes on a
 * member's behalf reach the member's own node through the control channel.
 */
export class Lobby {
  readonly rooms: GameRooms;
  readonly allies: Allies;
  private readonly occupants: Occupants;
  /** Moves in and out of one room take turns fleet-wide, so capacity and lock hold whichever nodes the players use. */
  private readonly queue: ClusterLock;
  private readonly local = new LocalMembers();
  private listening: Promise<void> | null = null;

  constructor(
    private readonly store: Store,
    private readonly hub: Hub,
    broker: Broker,
    presence: Presence,
    ledger: PresenceManager,
    private readonly now: () => number = Date.now,
  ) {
    this.rooms = new GameRooms(store, now);
    this.allies = new Allies(store, hub, now);
    this.occupants = new Occupants(ledger, broker.nodeId);
    this.queue = new ClusterLock(broker.claims, broker.nodeId);
    // A member whose node died is gone from its room as if its connection dropped: the room hears `kill`.
    presence.onDeparture(OCCUPANCY_PREFIX, async (channel, who, last) => {
      if (last) await this.signal(channel.slice(OCCUPANCY_PREFIX.length), who, E.kill, {});
    });
  }

  /**
   * Logs a member in. A user whose earlier session is still live keeps its
   * room and that session is replaced, silently; anyone else starts in the
   * lobby, whose members get `here`.
   */
  async enter(m: LobbyMember): Promise<() => void> {
    await (this.listening ??= this.hub.listen(CONTROL, (e) => this.onControl(e)));
    const online = (await this.occupants.online()).some((o) => o.id === m.user.id);
    const where = online ? await this.store.kv.get(WHERE_NS, m.user.id) : null;
    const resume = typeof where?.room === "string" && (await this.alive(where.room)) ? where.room : null;
    this.local.add(m);
    const room = resume ?? LOBBY_ROOM;
    const attachment = await this.queue.run(room, async () => {
      const attached = await this.attach(m, room);
      if (!resume) await this.signal(LOBBY_ROOM, m.user, E.here, this.hereData(m), m.connId);
      return attached;
    });
    if (online) await this.control("replace", { user: m.user.id, conn: m.connId });
    return () => attachment.release(0);
  }

  /** Exit or a lost connection: the member's room gets `kill`, and a room it made is dropped. */
  async leave(m: LobbyMember): Promise<void> {
    const from = m.at;
    if (from === LOBBY_ROOM) {
      await this.signal(LOBBY_ROOM, m.user, E.kill, {}, m.connId);
      await this.detach(m);
    } else if (from !== null) {
      await this.queue.run(from, () => this.leaveGame(m, from, E.kill));
    }
    await this.forget(m);
    const where = await this.store.kv.get(WHERE_NS, m.user.id);
    if (where?.conn === m.connId) await this.store.kv.delete(WHERE_NS, m.user.id);
  }

  /** Makes a room keyed by the member's name and moves it there; the lobby gets `made`. */
  async create(m: LobbyMember, type: string, size: number): Promise<LobbyResult> {
    if (m.at !== LOBBY_ROOM) return refuse("user.not-in-lobby");
    const id = gameRoomId(m.user.name);
    return this.queue.run(id, async () => {
      await this.detach(m);
      // Presence before the index, so that `list` never sees the new room without its creator.
      const attachment = await this.attach(m, id);
      await this.rooms.open(id, m.user, type, size);
      await this.signal(LOBBY_ROOM, m.user, E.made, { type, size });
      return { ok: true, finish: () => this.arrive(m, id, [], attachment) };
    });
  }

  async join(m: LobbyMember, name: string): Promise<LobbyResult> {
    const id = gameRoomId(name);
    return this.queue.run(id, async () => {
      const room = await this.rooms.get(id);
      const inside = room ? await this.occupants.in(id) : [];
      if (!room || !inside.some((o) => o.id === room.creator)) return refuse("room.not-found");
      if (room.locked) return refuse("room.locked");
      if (m.at !== LOBBY_ROOM) return refuse("user.in-room");
      if (inside.length >= room.size) return refuse("room.full");
      if (room.bans.includes(m.user.id)) return refuse("user.banned");
      await this.signal(LOBBY_ROOM, m.user, E.gone, {}, m.connId);
      await this.detach(m);
      return this.arriveNow(m, id);
    });
  }

  /** Back to the lobby: the old room gets `gone`, or `stop` when its creator quits. */
  async quit(m: LobbyMember): Promise<LobbyResult> {
    const from = m.at;
    if (from === null || from === LOBBY_ROOM) return refuse("user.in-lobby");
    await this.queue.run(from, () => this.leaveGame(m, from, E.gone));
    return this.arriveIn(m, LOBBY_ROOM);
  }

  /** Creator only: bans the user from the room for good and sends it to the lobby. */
  async kick(m: LobbyMember, name: string): Promise<LobbyResult> {
    const room = await this.hostedBy(m);
    if (!room) return refuse("user.not-creator");
    const target = (await this.occupants.in(room.id)).find((o) => o.id !== m.user.id && o.name.toLowerCase() === name.toLowerCase());
    if (!target) return refuse("user.not-here");
    await this.queue.run(room.id, () => this.rooms.ban(room.id, target.id));
    await this.signal(room.id, { id: target.id, name: target.name }, E.gone, {});
    await this.control("kick", { room: room.id, user: target.id });
    return done;
  }

  /** Creator only: the room takes no one new, and everyone in it gets `link`. */
  async lock(m: LobbyMember): Promise<LobbyResult> {
    const room = await this.hostedBy(m);
    if (!room) return refuse("user.not-creator");
    await this.queue.run(room.id, () => this.rooms.lock(room.id));
    await this.signal(room.id, m.user, E.link, {});
    return done;
  }

  /** After the member's address hints changed: later arrivals see the new ones. */
  async refresh(m: LobbyMember): Promise<void> {
    if (m.at !== null) await this.occupants.add(m.at, m);
  }

  /** Rooms with their creator inside, oldest first; leftovers of a crash are dropped on the way. */
  async openRooms(): Promise<ListedRoom[]> {
    const live: ListedRoom[] = [];
    for (const room of await this.rooms.listed()) {
      const inside = await this.occupants.in(room.id);
      if (inside.some((o) => o.id === room.creator)) live.push({ ...room, members: inside.length });
      else if (this.now() - room.created > STALE_MS) await this.queue.run(room.id, () => this.rooms.drop(room.id));
    }
    return live;
  }

  online(): Promise<Occupant[]> {
    return this.occupants.online();
  }

  private async hostedBy(m: LobbyMember): Promise<GameRoom | null> {
    const room = m.at !== null && m.at !== LOBBY_ROOM ? await this.rooms.get(m.at) : null;
    return room?.creator === m.user.id ? room : null;
  }

  /** Runs under the room's queue. `how` is what the others hear when the room stays (gone, kill). */
  private async leaveGame(m: LobbyMember, id: string, how: string): Promise<void> {
    const room = await this.rooms.get(id);
    if (how === E.kill || room?.creator !== m.user.id) await this.signal(id, m.user, how, {}, m.connId);
    await this.detach(m);
    if (room?.creator !== m.user.id) return;
    await this.signal(id, m.user, E.stop, {}, m.connId);
    await this.rooms.drop(id);
    await this.signal(LOBBY_ROOM, m.user, E.halt, {});
    await this.control("evict", { room: id });
  }

  private arriveIn(m: LobbyMember, room: string): Promise<LobbyResult> {
    return this.queue.run(room, () => this.arriveNow(m, room));
  }

  /**
   * Moves the member in (under the room's queue) and tells the others. Arrivals
   * on this node take turns, so each pair meets exactly once: in one's list or
   * by the other's `here`. Live events wait until the member has its list.
   */
  private async arriveNow(m: LobbyMember, room: string): Promise<LobbyResult> {
    const attachment = await this.attach(m, room);
    await this.signal(room, m.user, E.here, this.hereData(m), m.connId);
    const others = await this.occupants.in(room);
    return { ok: true, finish: () => this.arrive(m, room, others, attachment) };
  }

  private arrive(m: LobbyMember, room: string, others: Occupant[], attachment: Attachment): void {
    m.arrived(room, neighbours(others, m));
    attachment.release(0);
  }

  private async attach(m: LobbyMember, roomId: string): Promise<Attachment> {
    const attachment = await this.hub.attach(channels.room(roomId), m, true);
    m.at = roomId;
    await this.occupants.add(roomId, m);
    await this.store.kv.put(WHERE_NS, m.user.id, { room: roomId, conn: m.connId }, null);
    return attachment;
  }

  private async detach(m: LobbyMember): Promise<void> {
    const from = m.at;
    if (from === null) return;
    m.at = null;
    this.hub.detach(channels.room(from), m.connId);
    await this.occupants.leave(from, m);
  }

  private async forget(m: LobbyMember): Promise<void> {
    this.local.remove(m);
    await this.occupants.offline(m);
  }

  private async alive(roomId: string): Promise<boolean> {
    return roomId === LOBBY_ROOM || (await this.rooms.get(roomId)) !== null;
  }

  private hereData(m: LobbyMember): JsonObject {
    return { addr: m.hints.addr, hint: m.hints.peer ?? m.hints.host };
  }

  private signal(roomId: string, sender: UserRef, type: string, data: JsonObject, exceptConn?: string): Promise<void> {
    return this.hub.publish({ channel: channels.room(roomId), type, time: this.now(), sender: { id: sender.id, name: sender.name }, data, exceptConn });
  }

  private control(type: string, data: JsonObject): Promise<void> {
    return this.hub.publish({ channel: CONTROL, type, time: this.now(), sender: { id: "system", name: "system" }, data });
  }

  private onControl(e: CoreEvent): void {
    const { room, user, conn } = e.data;
    if (e.type === "replace") {
      for (const m of this.local.ofUser(String(user))) {
        if (m.connId !== conn) m.run(() => this.replaced(m));
      }
    } else if (e.type === "kick") {
      for (const m of this.local.ofUser(String(user))) m.run(() => this.evicted(m, String(room)));
    } else if (e.type === "evict") {
      for (const sub of this.hub.localSubscribers(channels.room(String(room)))) {
        const m = this.local.get(sub.connId);
        if (m) m.run(() => this.evicted(m, String(room)));
      }
    }
  }

  private async evicted(m: LobbyMember, room: string): Promise<void> {
    if (m.at !== room) return;
    await this.detach(m);
    const moved = await this.arriveIn(m, LOBBY_ROOM);
    if (moved.ok) moved.finish();
  }

  private async replaced(m: LobbyMember): Promise<void> {
    if (!this.local.has(m)) return;
    await this.detach(m);
    await this.forget(m);
    m.replaced();
  }
}
