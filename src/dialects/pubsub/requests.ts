import type { Json } from "../../core/json.js";
import { admit } from "./admission.js";
import { connectRequest, reason, topicRequests } from "./frames.js";
import { membersFields, successFrame, wireUser } from "./render.js";
import { resume } from "./resume.js";
import type { PubsubSession, Request } from "./session.js";
import { topicRef } from "./topic-names.js";

const unique = (items: string[]) => [...new Set(items)];

/** Before `connect` or `resume` succeeded, nothing else is answered but 401. */
export function handleRequest(s: PubsubSession, req: Request): Promise<void> | void {
  if (!s.ready) {
    if (req.op === "connect") return connect(s, req);
    if (req.op === "resume") return resume(s, req);
    return s.refuse(req.op, req.id, 401);
  }
  switch (req.op) {
    case "sub":
      return sub(s, req);
    case "unsub":
      return unsub(s, req);
    case "pub":
      return pub(s, req);
    case "connect":
    case "resume":
      return s.refuse(req.op, req.id, 400, "Bad Request: already connected");
    default:
      return s.refuse(req.op, req.id, 400, `Bad Request: unknown op ${JSON.stringify(req.op)}`);
  }
}

async function connect(s: PubsubSession, req: Request): Promise<void> {
  const parsed = connectRequest.safeParse(req.frame);
  if (!parsed.success) return s.refuse(req.op, req.id, 400, `Bad Request: ${reason(parsed.error)}`);
  const { provider, access_token: token = "" } = parsed.data.auth;
  const admission = await admit(s.ctx, s.verifiers, provider, token);
  if (!admission.ok) return s.refuse(req.op, req.id, admission.code);
  const { identity, credential } = admission;
  const held = credential && { revocationId: credential.revocationId, expiresAt: credential.expiresAt };
  const { id } = await s.ctx.core.topics.sessions.create(identity, held);
  await s.begin(id, identity, held, 0);
  s.send(successFrame(req.op, req.id, { session: id, user: wireUser(identity) }));
}

function parseTopics(s: PubsubSession, req: Request): string[] | null {
  const parsed = topicRequests(s.ctx.config.pubsub.maxTopicsPerRequest).topics.safeParse(req.frame);
  if (parsed.success) return unique(parsed.data.topics);
  s.refuse(req.op, req.id, 400, `Bad Request: ${reason(parsed.error)}`);
  return null;
}

/** All or nothing: one refused topic refuses the request, naming every refused one. */
function forbidden(s: PubsubSession, req: Request, refused: string[]): boolean {
  if (refused.length === 0) return false;
  s.refuse(req.op, req.id, 403, `Forbidden: ${refused.join(", ")}`, { topics: refused });
  return true;
}

async function sub(s: PubsubSession, req: Request): Promise<void> {
  const wires = parseTopics(s, req);
  if (!wires) return;
  if (forbidden(s, req, wires.filter((w) => !s.permissions?.canSubscribe(w)))) return;
  const max = s.ctx.config.pubsub.maxSubscriptions;
  if (s.subs.size + wires.filter((w) => !s.subs.has(w)).length > max) return s.refuse(req.op, req.id, 400, `Bad Request: at most ${max} subscriptions`);
  const members = await s.subs.add(wires.map((w) => topicRef(w, s.user.id)));
  s.send(successFrame(req.op, req.id, { topics: wires, user: wireUser(s.user), ...membersFields(members) }));
  s.subs.releasePresence();
  await s.save();
}

async function unsub(s: PubsubSession, req: Request): Promise<void> {
  const wires = parseTopics(s, req);
  if (!wires) return;
  await s.subs.remove(wires);
  s.send(successFrame(req.op, req.id));
  await s.save();
}

/** Success only once every message is stored: nothing acknowledged is lost. */
async function pub(s: PubsubSession, req: Request): Promise<void> {
  const cfg = s.ctx.config.pubsub;
  const parsed = topicRequests(cfg.maxTopicsPerRequest).pub.safeParse(req.frame);
  if (!parsed.success) return s.refuse(req.op, req.id, 400, `Bad Request: ${reason(parsed.error)}`);
  const data = parsed.data.data as Json;
  if (Buffer.byteLength(JSON.stringify(data)) > cfg.maxDataBytes) return s.refuse(req.op, req.id, 413, `Payload Too Large: data is over ${cfg.maxDataBytes} bytes`);
  const refs = unique(parsed.data.topics).map((w) => topicRef(w, s.user.id));
  // Presence topics carry the server's joins and leaves only.
  if (forbidden(s, req, refs.filter((r) => r.kind === "presence" || !s.permissions?.canPublish(r.canonical)).map((r) => r.wire))) return;
  const streams = s.ctx.core.topics.streams;
  // The publisher's own `mesg` (and anything else arriving meanwhile) follows the success.
  s.conn.hold();
  await Promise.all(unique(refs.map((r) => r.canonical)).map((topic) => streams.publish(topic, s.user, data)));
  s.send(successFrame(req.op, req.id));
}
