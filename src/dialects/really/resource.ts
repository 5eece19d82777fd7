import { PROFILES } from "../../core/documents/documents.js";

/** What an `r` names. Users are the document collection `users`; any other top name is a document collection. */
export type Target =
  | { kind: "rooms" }
  | { kind: "room"; room: string }
  | { kind: "messages"; room: string }
  | { kind: "message"; room: string; nr: number }
  | { kind: "docs"; collection: string }
  | { kind: "doc"; collection: string; id: string }
  /** Well-formed, but nothing lives there (e.g. `/rooms/x/other/`). */
  | { kind: "nowhere" };

/** Profiles are the core documents collection of that name. */
export const USERS = PROFILES;
/** Room ids as every dialect names rooms. */
const ROOM_ID = /^[A-Za-z0-9_.-]{1,64}$/;
const COLLECTION_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
const ID = /^[A-Za-z0-9_.~-]{1,64}$/;
const NR = /^[1-9][0-9]{0,14}$/;
const MAX_R = 512;
const MAX_SEGMENTS = 8;

/**
 * `/collection/id/collection/…` with a leading slash and an optional trailing
 * one; `*` as the last id (only where `wildcard`) names the collection itself.
 * Null for anything malformed: the caller answers `400 r.invalid`.
 */
export function parseR(r: string, wildcard = false): Target | null {
  if (r.length > MAX_R || !r.startsWith("/")) return null;
  const segments = r.slice(1, r.endsWith("/") ? -1 : undefined).split("/");
  if (wildcard && segments.length % 2 === 0 && segments[segments.length - 1] === "*") segments.pop();
  if (segments.length > MAX_SEGMENTS) return null;
  const valid = segments.every((s, i) => (i % 2 === 0 ? COLLECTION_NAME : ID).test(s));
  if (!valid) return null;
  const [top, id, sub, nr] = segments;
  if (top === "rooms") return roomTarget(segments.length, id, sub, nr);
  if (top === USERS && segments.length > 2) return { kind: "nowhere" };
  if (segments.length % 2 === 1) return { kind: "docs", collection: segments.join("/") };
  return { kind: "doc", collection: segments.slice(0, -1).join("/"), id: segments[segments.length - 1] };
}

function roomTarget(length: number, room: string, sub: string, nr: string): Target {
  if (length === 1) return { kind: "rooms" };
  if (!ROOM_ID.test(room)) return { kind: "nowhere" };
  if (length === 2) return { kind: "room", room };
  if (sub !== "messages") return { kind: "nowhere" };
  if (length === 3) return { kind: "messages", room };
  if (length === 4 && NR.test(nr)) return { kind: "message", room, nr: Number(nr) };
  return { kind: "nowhere" };
}

export const rOf = {
  room: (room: string) => `/rooms/${room}`,
  message: (room: string, nr: number) => `/rooms/${room}/messages/${nr}`,
  user: (id: string) => `/${USERS}/${id}`,
  doc: (collection: string, id: string) => `/${collection}/${id}`,
};

export function isObjectTarget(t: Target): boolean {
  return t.kind === "room" || t.kind === "message" || t.kind === "doc";
}
