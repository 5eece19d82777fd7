import type { Identity, Subscriber } from "../types.js";

/**
 * What a member tells the users who share its public address, so that they can
 * reach it directly: its internal IPv4 (`peer`) or its global IPv6 (`host`).
 */
export interface Hints {
  /** The public address the member connects from. */
  addr: string;
  peer: string | null;
  host: string | null;
}

/** Another member of a room as the arriving member sees it: `hint` only when both share a public address. */
export interface Neighbour {
  name: string;
  hint: string | null;
}

/**
 * One logged-in user's session as the lobby moves it between rooms. A user has
 * one such session at a time: a newer one (any transport, any node) replaces it.
 */
export interface LobbyMember extends Subscriber {
  readonly user: Identity;
  readonly hints: Hints;
  /** The room the member is in; null once logged out. Only the lobby sets it. */
  at: string | null;
  /** Runs lobby-driven work (evictions, kicks, replacement) in order with the member's own commands. */
  run(work: () => Promise<void>): void;
  /** The member has arrived in a room whose other members are `others`. */
  arrived(room: string, others: Neighbour[]): void;
  /** A newer session of the same user took over; the lobby has already let this one go. */
  replaced(): void;
}

/** Why a lobby operation was refused. */
export type LobbyRefusal =
  | "user.in-lobby"
  | "user.not-in-lobby"
  | "user.in-room"
  | "user.not-creator"
  | "user.not-here"
  | "user.banned"
  | "room.not-found"
  | "room.locked"
  | "room.full";

/** An accepted operation whose effects are done; `finish` (after the reply is sent) gives the member its `here` list and the room's live events. */
export type LobbyResult = { ok: true; finish: () => void } | { ok: false; code: LobbyRefusal };

/** The signals the lobby fans out on room channels (and `away` on user channels). */
export const LOBBY_EVENTS = {
  here: "lobby.here",
  gone: "lobby.gone",
  made: "lobby.made",
  stop: "lobby.stop",
  halt: "lobby.halt",
  kill: "lobby.kill",
  link: "lobby.link",
  away: "lobby.away",
} as const;

/** The room everyone starts in. */
export const LOBBY_ROOM = "lobby";

/** Game rooms are keyed by their creator's name, case-insensitively as account names are. */
export const gameRoomId = (creatorName: string) => `game.${creatorName.toLowerCase()}`;
