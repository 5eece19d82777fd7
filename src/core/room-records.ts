import type { RoomRecord, RoomStore } from "../engine/store/types.js";

/** Far more than two nodes racing on one room ever need; past it something is wrong, so say so. */
const MAX_ATTEMPTS = 100;

/**
 * Read-modify-write of one room record as compare and swap: `change` sees the
 * current record (null when there is none) and returns the record to store, or
 * null to store nothing. When another writer — on this node or any other —
 * changed the record in between, it runs again on the fresh record, so two
 * admins banning two users at once keep both bans. Resolves to the record as
 * stored, or the unchanged current one when `change` wrote nothing.
 */
export async function changeRoom(
  rooms: RoomStore,
  id: string,
  change: (current: RoomRecord | null) => RoomRecord | null,
): Promise<RoomRecord | null> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const current = await rooms.get(id);
    const next = change(current);
    if (!next) return current;
    const stored = await rooms.write({ ...next, id }, current?.rev ?? 0);
    if (stored) return stored;
    // Lost the race: back off a little so a crowd of writers spreads out.
    if (attempt > 2) await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt));
  }
  throw new Error(`room ${id}: too many concurrent changes`);
}

/**
 * A room's retention is the room's, not the writing dialect's: a room relay
 * uses keeps no content (`meta.retention: "none"`), and once marked it stays
 * so. Any dialect writing a stored event into it gets `RoomRefusal`.
 */
export const NO_RETENTION = "none";

export const keepsNoContent = (room: RoomRecord | null): boolean => room?.meta.retention === NO_RETENTION;

/** Marks the room as keeping no content (it must exist); stores nothing when it already is. */
export function markNoRetention(rooms: RoomStore, id: string): Promise<RoomRecord | null> {
  return changeRoom(rooms, id, (current) => (current === null || keepsNoContent(current) ? null : { ...current, meta: { ...current.meta, retention: NO_RETENTION } }));
}

/** Why a room refused a stored event: each dialect says it in its own words (instalk 403, really 403, fuse `fail`). */
export class RoomRefusal extends Error {
  constructor(
    readonly code: "room.no-retention",
    readonly roomId: string,
  ) {
    super("this room keeps no messages (relay uses it): nothing is stored or sent");
    this.name = "RoomRefusal";
  }
}

/** For writes that may skip such a room (a rename announced to every room a user is in): passes on any other error. */
export function unlessUnstored(err: unknown): void {
  if (!(err instanceof RoomRefusal)) throw err;
}
