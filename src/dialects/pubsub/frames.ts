import { z } from "zod";
import { perLimit } from "../common/per-limit.js";
import { MAX_TOPIC_CHARS, TOPIC_NAME } from "./topic-names.js";

/** What every request carries; `type` may be left out (the seed's own resume example has none). */
export const envelope = z.object({
  op: z.string().min(1).max(32),
  type: z.literal("request").optional(),
  id: z.union([z.string().max(128), z.number()]).optional(),
});

const topicName = z.string().max(MAX_TOPIC_CHARS).regex(TOPIC_NAME, "not a topic name");
const topicList = (max: number) => z.array(topicName).min(1).max(max);

export const connectRequest = z.object({
  auth: z.object({ provider: z.string().min(1).max(64), access_token: z.string().max(8192).optional() }),
});

export const resumeRequest = z.object({
  session: z.string().min(1).max(128),
  /**
   * Our extension: per topic, the id of the last `mesg` the client actually
   * processed. The server only knows what it wrote to the socket; whatever
   * died in flight with the old connection is replayed from here instead.
   */
  received: z.record(z.string().max(MAX_TOPIC_CHARS), z.string().max(64)).optional(),
});

export const topicRequests = perLimit(buildTopicRequests);

function buildTopicRequests(maxTopics: number) {
  return {
    topics: z.object({ topics: topicList(maxTopics) }),
    /** `data` is any JSON (it came from JSON.parse), but it must be there. */
    pub: z.object({ topics: topicList(maxTopics), data: z.unknown().refine((d) => d !== undefined, "required") }),
  };
}

/** The first zod issue as a short reason for a 400. */
export function reason(error: z.ZodError): string {
  const issue = error.issues[0];
  const path = issue?.path.map(String).join(".") ?? "";
  return path ? `${path}: ${issue.message}` : (issue?.message ?? "invalid");
}
