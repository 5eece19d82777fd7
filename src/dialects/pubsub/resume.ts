import { resumeRequest, reason } from "./frames.js";
import { TopicPermissions } from "./permissions.js";
import { membersFields, pushId, successFrame, wireUser } from "./render.js";
import type { PubsubSession, Request } from "./session.js";
import { topicRef, type TopicRef } from "./topic-names.js";
import { topicChannels } from "../../core/topics/channels.js";

/**
 * The client's own last push id is what it knows it processed: it wins over
 * the session's stored cursor in both directions — back, to replay what was
 * written but never read; forward, past a checkpoint a crash left stale, so
 * nothing is replayed twice — as long as it names a stored message of this
 * very topic. Anything else leaves the stored cursor.
 */
function clientCursor(id: string | undefined, written: number | null, topic: string, last: number): number | null {
  if (id === undefined) return written;
  const seq = Number(id.split(".")[0]);
  if (!Number.isSafeInteger(seq) || seq < 0 || seq > last || id !== pushId(topic, seq)) return written;
  return seq;
}

/**
 * `resume`: the session's subscriptions back, every message missed in order,
 * then live ones with no gap and no duplicate — or 404 and nothing at all.
 */
export async function resume(s: PubsubSession, req: Request): Promise<void> {
  const parsed = resumeRequest.safeParse(req.frame);
  if (!parsed.success) return s.refuse(req.op, req.id, 400, `Bad Request: ${reason(parsed.error)}`);
  const { core, config } = s.ctx;
  const { session: id, received = {} } = parsed.data;
  const record = await core.topics.sessions.claim(id);
  if (!record) return s.refuse(req.op, req.id, 404);
  const user = record.user;
  // Topics the configuration no longer allows are not restored.
  const permissions = new TopicPermissions(config.pubsub.topics, user.id);
  const entries: Array<[TopicRef, number | null]> = [];
  for (const [wire, cursor] of Object.entries(record.cursors)) {
    if (!permissions.canSubscribe(wire)) continue;
    const ref = topicRef(wire, user.id);
    const claimed = received[wire];
    const last = claimed === undefined || ref.kind === "presence" ? 0 : await core.store.history.lastSeq(topicChannels.stream(ref.canonical));
    entries.push([ref, ref.kind === "presence" ? cursor : clientCursor(claimed, cursor, ref.canonical, last)]);
  }
  // A replay the socket could not hold would end in a cut-off connection, i.e. a partial one.
  const plan = await s.subs.restore(entries, config.limits.maxQueueBytes / 2);
  if (!plan) return s.refuse(req.op, req.id, 404);
  let members;
  try {
    await s.begin(id, user, record.credential, record.epoch);
    members = await s.subs.adopt(plan);
  } catch (err) {
    for (const p of plan) p.catchUp?.cancel();
    throw err;
  }
  await s.save();
  s.send(successFrame(req.op, req.id, { session: id, user: wireUser(user), topics: plan.map((p) => p.sub.ref.wire), ...membersFields(members) }));
  await s.subs.replay(plan);
}
