import type { JsonObject } from "../../core/json.js";
import type { CoreEvent, Identity, Renderer } from "../../core/types.js";
import type { StoredEvent } from "../../engine/store/types.js";

/** EJSON date, as the protocol's "ISO-DateTime in EJSON format". */
export const ejson = (ms: number) => ({ $date: new Date(ms).toISOString() });

export interface WireUser {
  id: string;
  username: string;
  color: string;
  verified: boolean;
}

export const wireUser = (who: Identity): WireUser => ({ id: who.id, username: who.name, color: who.color, verified: who.verified });

function userFrom(event: Pick<CoreEvent, "sender" | "data">): WireUser {
  const d = event.data;
  return {
    id: event.sender.id,
    username: event.sender.name,
    color: typeof d.color === "string" ? d.color : "#888888",
    verified: d.verified === true,
  };
}

export function roomOf(channel: string): string {
  return channel.startsWith("room:") ? channel.slice(5) : channel;
}

/** The whole frame members receive for a stored event: history replies reuse it verbatim. */
function renderStored(r: string, e: Pick<CoreEvent, "type" | "seq" | "time" | "sender" | "data">): string | null {
  const head = { nr: e.seq, time: ejson(e.time), sid: e.sender.id };
  switch (e.type) {
    case "msg":
      return JSON.stringify({ r, o: "msg", data: { ...head, body: e.data.body, mentions: e.data.mentions ?? [], attachments: e.data.attachments ?? [] } });
    case "set-room-topic":
      return JSON.stringify({ r, o: "set-room-topic", data: { ...head, topic: e.data.topic } });
    case "set-user-info":
      return JSON.stringify({ r, o: "set-user-info", data: { ...head, user: e.data.user } });
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
        return JSON.stringify({ r, o: "joined", data: { user: userFrom(e), time: ejson(e.time) } });
      case "left":
        if (e.data.how === "disconnect") return JSON.stringify({ r, sid: e.sender.id, o: "disconnect", time: ejson(e.time) });
        return JSON.stringify({ r, o: "left", data: { user: userFrom(e), time: ejson(e.time) } });
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
