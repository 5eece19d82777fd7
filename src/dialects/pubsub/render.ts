import { createHash } from "node:crypto";
import type { JsonObject } from "../../core/json.js";
import { topicOf } from "../../core/topics/channels.js";
import type { CoreEvent, Renderer, UserRef } from "../../core/types.js";
import type { StoredEvent } from "../../engine/store/types.js";
import { meName } from "./topic-names.js";

export type RequestId = string | number | null;

const MESG_HEAD = '{"op":"mesg","type":"push","id":"';

const tag = (topic: string) => createHash("sha256").update(topic).digest("base64url").slice(0, 10);

/**
 * `<seq>.<topic tag>`: unique, and the same whenever one stored message is
 * sent again, so a client can drop a copy it already has.
 */
export const pushId = (topic: string, seq: number) => `${seq}.${tag(topic)}`;

/** The seq of a frame `renderMesg` made: its push id starts with it. */
export function seqOfMesg(text: string): number {
  return text.startsWith(MESG_HEAD) ? parseInt(text.slice(MESG_HEAD.length, MESG_HEAD.length + 20), 10) : NaN;
}

export const wireUser = (u: UserRef) => ({ id: u.id, name: u.name });

export function renderMesg(e: Pick<StoredEvent, "seq" | "sender" | "data"> & { channel: string }, wireTopic: string): string {
  const data = e.data.data ?? null;
  return JSON.stringify({ op: "mesg", type: "push", id: pushId(topicOf(e.channel), e.seq), topics: [wireTopic], data, sender: wireUser(e.sender) });
}

const isMesg = (e: CoreEvent): e is CoreEvent & { seq: number } => e.type === "mesg" && e.seq !== undefined;

/** Messages of a topic, named as the topic itself. */
export const topicRenderer: Renderer = {
  render: (e) => (isMesg(e) ? renderMesg(e, topicOf(e.channel)) : null),
};

/** Messages of `P/<id>`, named `P/me` for its owner. */
export const meRenderer: Renderer = {
  render: (e) => (isMesg(e) ? renderMesg(e, meName(topicOf(e.channel))) : null),
};

/** Joins and leaves of a topic's members, for `T/presence` subscribers. */
export const presenceRenderer: Renderer = {
  render: (e) =>
    e.type === "join" || e.type === "leave"
      ? JSON.stringify({ op: "pres", type: e.type, id: e.data.id ?? null, topics: [e.data.topic ?? topicOf(e.channel)], sender: wireUser(e.sender) })
      : null,
};

export function successFrame(op: string, id: RequestId, extra: JsonObject = {}): string {
  return JSON.stringify({ op, type: "success", id, ...extra });
}

export function errorFrame(op: string | null, id: RequestId, code: number, message: string, extra: JsonObject = {}): string {
  return JSON.stringify({ op, type: "error", id, code, message, ...extra });
}

/**
 * Members for a reply: `members` as the spec has it (one per user, across
 * every presence topic of the request) and, when there are several,
 * `presence` with each topic's own list.
 */
export function membersFields(byTopic: Map<string, UserRef[]>): JsonObject {
  if (byTopic.size === 0) return {};
  const union = new Map<string, UserRef>();
  for (const list of byTopic.values()) for (const m of list) union.set(m.id, m);
  const members = [...union.values()].map(wireUser);
  if (byTopic.size === 1) return { members };
  const presence: JsonObject = {};
  for (const [topic, list] of byTopic) presence[topic] = list.map(wireUser);
  return { members, presence };
}
