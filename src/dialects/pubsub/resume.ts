import { resumeRequest, reason } from "./frames.js";
import { TopicPermissions } from "./permissions.js";
import { membersFields, successFrame, wireUser } from "./render.js";
import type { PubsubSession, Request } from "./session.js";
import { topicRef, type TopicRef } from "./topic-names.js";

/**
 * The client's own last push id can only move the cursor back (to replay what
 * was written but never read), never past what the server sent.
 */
function clientCursor(pushId: string | undefined, written: number | null): number | null {
  if (pushId === undefined || written === null) return written;
  const seq = Number(pushId.split(".")[0]);
  return Number.isSafeInteger(seq) && seq >= 0 && seq < written ? seq : written;
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
  const entries = Object.entries(record.cursors)
    .filter(([wire]) => permissions.canSubscribe(wire))
    .map(([wire, cursor]): [TopicRef, number | null] => [topicRef(wire, user.id), clientCursor(received[wire], cursor)]);
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
