import { docChannels } from "../../core/documents/documents.js";
import type { Caller, Reply } from "./caller.js";
import { createDoc, deleteDoc, followDoc, getDoc, readDocs, updateDoc } from "./docs-ops.js";
import { ReallyError, refuse } from "./errors.js";
import { createMessage, createRoom, getMessage, getRoom, readMessages, readRooms } from "./rooms-ops.js";
import { parseR, type Target } from "./resource.js";
import { parseOr400, subscribeBody, unsubscribeBody, type Request } from "./schema.js";

function target(request: Request, wildcard: boolean): Target {
  if (request.r === undefined) refuse(400, "r.invalid", { r: "required" });
  return parseR(request.r, wildcard) ?? refuse(400, "r.invalid");
}

/** A well-formed r of the wrong kind for the command (a collection to `get`, an object to `read`…). */
const wrongKind = (what: string): never => refuse(400, "r.invalid", { r: `must name ${what}` });
const nowhere = (): never => refuse(404, "object.missing");
const readonly = (): never => refuse(403, "object.forbidden", { r: "rooms and messages are changed by what happens in them, not by update or delete" });

/** Every command after `initialize` and `ping`: the r decides which resource answers. */
export async function runCommand(caller: Caller, request: Request): Promise<Reply> {
  switch (request.cmd) {
    case "get": {
      const t = target(request, false);
      if (t.kind === "room") return getRoom(caller, t.room);
      if (t.kind === "message") return getMessage(caller, t.room, t.nr);
      if (t.kind === "doc") return getDoc(caller, t.collection, t.id, request);
      return t.kind === "nowhere" ? nowhere() : wrongKind("an object");
    }
    case "read": {
      const t = target(request, true);
      if (t.kind === "messages") return readMessages(caller, t.room, request);
      if (t.kind === "docs") return readDocs(caller, t.collection, request);
      if (t.kind === "rooms") return readRooms(caller, request);
      return t.kind === "nowhere" ? nowhere() : wrongKind("a collection");
    }
    case "create": {
      const t = target(request, false);
      if (t.kind === "rooms") return createRoom(caller, request);
      if (t.kind === "messages") return createMessage(caller, t.room, request);
      if (t.kind === "docs") return createDoc(caller, t.collection, request);
      return t.kind === "nowhere" ? nowhere() : wrongKind("a collection");
    }
    case "update":
    case "delete": {
      const t = target(request, false);
      if (t.kind === "doc") return request.cmd === "update" ? updateDoc(caller, t.collection, t.id, request) : deleteDoc(caller, t.collection, t.id);
      if (t.kind === "room" || t.kind === "message") return readonly();
      return t.kind === "nowhere" ? nowhere() : wrongKind("an object");
    }
    case "subscribe":
      return subscribe(caller, request);
    case "unsubscribe":
      return unsubscribe(caller, request);
    default:
      return refuse(454, "command.unknown");
  }
}

/** Objects that exist and may be read are subscribed; the others are named in `refused` with the reason. */
async function subscribe(caller: Caller, request: Request): Promise<Reply> {
  const { subscriptions } = parseOr400(subscribeBody, request.body, "body");
  const targets = subscriptions.map(({ r }) => parseR(r) ?? refuse(400, "r.invalid", { r }));
  const subscribed: string[] = [];
  const refused: Record<string, string> = {};
  for (let i = 0; i < targets.length; i++) {
    const t = targets[i];
    const r = subscriptions[i].r;
    if (t.kind !== "doc") {
      refused[r] = "only documents and users can be subscribed; read a collection with subscribe for new items";
      continue;
    }
    try {
      await followDoc(caller, t.collection, t.id, subscriptions[i].rev);
      subscribed.push(r);
    } catch (err) {
      if (!(err instanceof ReallyError) || err.code === 429) throw err;
      refused[r] = err.message;
    }
  }
  return { body: Object.keys(refused).length > 0 ? { subscriptions: subscribed, refused } : { subscriptions: subscribed } };
}

/** The hub channel an r's pushes come from, for objects and live-read collections alike. */
function channelOf(caller: Caller, t: Target): string | null {
  switch (t.kind) {
    case "doc":
      return docChannels.doc(t.collection, t.id);
    case "docs":
      return caller.core.documents.feed(t.collection, caller.auth.identity);
    case "messages":
      return caller.core.rooms.stream(t.room);
    default:
      return null;
  }
}

async function unsubscribe(caller: Caller, request: Request): Promise<Reply> {
  const { subscriptions } = parseOr400(unsubscribeBody, request.body, "body");
  const targets = subscriptions.map((r) => parseR(r, true) ?? refuse(400, "r.invalid", { r }));
  const stopped: string[] = [];
  targets.forEach((t, i) => {
    const channel = channelOf(caller, t);
    if (channel !== null && caller.follows.unfollow(channel)) stopped.push(subscriptions[i]);
  });
  return { body: { unsubscriptions: stopped } };
}
