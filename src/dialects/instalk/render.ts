import { colorFor } from "../../core/identity.js";
import type { Json, JsonObject } from "../../core/json.js";
import type { CoreEvent, Identity, Renderer } from "../../core/types.js";
import type { StoredEvent } from "../../engine/store/types.js";

let lastMs = Number.NaN;
let lastIso = "";

/** ISO text of an epoch ms; a busy room's events share their millisecond, so the last one is kept. */
function iso(ms: number): string {
  if (ms !== lastMs) {
    lastIso = new Date(ms).toISOString();
    lastMs = ms;
  }
  return lastIso;
}

/** EJSON date, as the protocol's "ISO-DateTime in EJSON format". */
export const ejson = (ms: number) => ({ $date: iso(ms) });

/** The seed's User: what is stored in `set-user-info` events. */
export interface SeedUser {
  id: string;
  username: string;
  color: string;
  verified: boolean;
}

/**
 * The seed's User plus what the original Instalk client reads (`auth`,
 * `info.name`, `info.color`): the same facts twice, so both kinds of client
 * find theirs. Fields are only ever added, never renamed.
 */
export interface WireUser extends SeedUser {
  auth: boolean;
  info: { name: string; color: string };
}

const withOriginal = (u: SeedUser): WireUser => ({ ...u, auth: u.verified, info: { name: u.username, color: u.color } });

export const seedUser = (who: Identity): SeedUser => ({ id: who.id, username: who.name, color: who.color, verified: who.verified });
export const wireUser = (who: Identity): WireUser => withOriginal(seedUser(who));

/** Rendered once per identity: the core shares one identity per presence entry, and every later joiner's welcome lists it again. */
const memberText = new WeakMap<Identity, string>();

/** A `room-welcome`'s `members`: the others, each rendered once for all the welcomes that list it. */
export function renderMembers(members: readonly Identity[], except: string): string {
  const parts: string[] = [];
  for (const who of members) {
    if (who.id === except) continue;
    let text = memberText.get(who);
    if (text === undefined) memberText.set(who, (text = JSON.stringify(wireUser(who))));
    parts.push(text);
  }
  return `[${parts.join(",")}]`;
}

const isObject = (v: Json | undefined): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);

/** A user as a signal's profile fields (joined, left) describe it. */
function userFrom(event: Pick<CoreEvent, "sender" | "data">): WireUser {
  const d = event.data;
  return withOriginal({
    id: event.sender.id,
    username: event.sender.name,
    color: typeof d.color === "string" ? d.color : "#888888",
    verified: d.verified === true,
  });
}

/** The author of a stored event, from the profile the core kept with it (none for the system or older events: the name's colour). */
function senderOf(e: Pick<CoreEvent, "sender" | "data">): WireUser {
  const by = isObject(e.data.by) ? e.data.by : {};
  return withOriginal({
    id: e.sender.id,
    username: e.sender.name,
    color: typeof by.color === "string" ? by.color : colorFor(e.sender.name),
    verified: by.verified === true,
  });
}

/** A stored `set-user-info` user (the seed's four fields) as the wire shows users. */
function storedUser(user: Json | undefined): WireUser | Json {
  if (!isObject(user) || typeof user.username !== "string" || typeof user.color !== "string") return user ?? null;
  return withOriginal({ id: String(user.id), username: user.username, color: user.color, verified: user.verified === true });
}

export function roomOf(channel: string): string {
  return channel.startsWith("room:") ? channel.slice(5) : channel;
}

/** The fields every stored event's frame starts with. */
const head = (e: Pick<CoreEvent, "seq" | "time" | "sender">) => ({ nr: e.seq, time: ejson(e.time), sid: e.sender.id });

/**
 * The whole frame members receive for a stored event: history replies reuse it
 * verbatim. Topic and user-info events also carry the original client's `#`
 * (the nr), `sender` (a User) and, for the topic, `when` (epoch ms).
 */
function renderStored(r: string, e: Pick<CoreEvent, "type" | "seq" | "time" | "sender" | "data">): string | null {
  switch (e.type) {
    case "msg": {
      const { body, mentions, attachments } = e.data;
      // The hot path (every stored message, once per room): the same text as the object below, without building it.
      if (typeof body === "string" && e.seq !== undefined) {
        return `{"r":${JSON.stringify(r)},"o":"msg","data":{"nr":${e.seq},"time":{"$date":"${iso(e.time)}"},"sid":${JSON.stringify(e.sender.id)},"body":${JSON.stringify(body)},"mentions":${JSON.stringify(mentions ?? [])},"attachments":${JSON.stringify(attachments ?? [])}}}`;
      }
      return JSON.stringify({ r, o: "msg", data: { ...head(e), body, mentions: mentions ?? [], attachments: attachments ?? [] } });
    }
    case "set-room-topic":
      return JSON.stringify({ r, o: "set-room-topic", data: { ...head(e), topic: e.data.topic, "#": e.seq, sender: senderOf(e), when: e.time } });
    case "set-user-info": {
      const user = storedUser(e.data.user);
      return JSON.stringify({ r, o: "set-user-info", data: { ...head(e), user, "#": e.seq, sender: user } });
    }
    default:
      return null;
  }
}

export function renderHistory(events: StoredEvent[]): string {
  const parts: string[] = [];
  for (const e of events) {
    const text = renderStored(roomOf(e.stream), e);
    if (text !== null) parts.push(text);
  }
  return `[${parts.join(",")}]`;
}

/** Stored events and the ephemeral signals other dialects' members also cause. */
export const instalkRenderer: Renderer = {
  render(e: CoreEvent): string | null {
    const r = roomOf(e.channel);
    if (e.seq !== undefined) return renderStored(r, e);
    switch (e.type) {
      case "joined":
      case "left":
        // `when` is the original client's time of the change, in epoch ms.
        return JSON.stringify({ r, o: e.type, data: { user: userFrom(e), time: ejson(e.time), when: e.time } });
      case "disconnect":
        // The core follows it with `left` (the user's last socket went): seed clients read this, the original client that.
        return JSON.stringify({ r, sid: e.sender.id, o: "disconnect", time: ejson(e.time) });
      case "bt":
      case "st":
      case "away":
        return JSON.stringify({ r, sid: e.sender.id, o: e.type, time: ejson(e.time) });
      default:
        return null;
    }
  },
};

export function errorFrame(code: number, msg: string, extra: JsonObject = {}, errors?: Record<string, string>): string {
  return JSON.stringify({ ...extra, error: errors ? { code, msg, errors } : { code, msg } });
}
