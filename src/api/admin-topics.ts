import { MAX_TOPIC_CHARS, TOPIC_NAME, topicRef } from "../dialects/pubsub/topic-names.js";
import { topicChannels } from "../core/topics/channels.js";
import { published, topicMessage, topicParams } from "./admin-schemas.js";
import { publishedView, senderFor } from "./admin-rooms.js";
import { HttpError } from "./http.js";
import { op, type Operation } from "./operations.js";
import { errorBody } from "./schemas.js";
import type { ApiContext } from "./types.js";

/** Publishing into a pubsub topic for the operator: stored in the topic's bounded history, then pushed to its subscribers. */
export function adminTopicOperations({ core, config }: ApiContext): Operation[] {
  return [
    op({
      id: "publishToTopic",
      method: "POST",
      path: "/api/admin/topics/{topic}/messages",
      summary: "Publishes a message into a pubsub topic, as the system or on behalf of a user",
      description: "The topic is named as stored: `P/<user id>` rather than a subscriber's `P/me`; `…/presence` names are refused.",
      tags: ["topics"],
      security: "admin",
      params: topicParams,
      body: topicMessage,
      responses: {
        201: { description: "stored and pushed", schema: published },
        404: { description: "no such user for `as`", schema: errorBody },
        413: { description: "`data` is over pubsub.maxDataBytes (or the body over 64 KiB)", schema: errorBody },
      },
      async handle({ params, body }) {
        const topic = params.topic;
        if (topic.length > MAX_TOPIC_CHARS || !TOPIC_NAME.test(topic)) throw new HttpError(400, "topic.invalid", "topic names are segments of letters, digits and ._:@~+- joined by /");
        if (topicRef(topic, "").kind !== "plain") throw new HttpError(400, "topic.invalid", "…/presence and …/me are views of a topic, not topics: name the topic itself");
        const size = Buffer.byteLength(JSON.stringify(body.data));
        if (size > config.pubsub.maxDataBytes) throw new HttpError(413, "data.too-large", `data is ${size} bytes; pubsub.maxDataBytes is ${config.pubsub.maxDataBytes}`);
        const sender = await senderFor(core, body.as, topicChannels.stream(topic));
        const stored = await core.topics.streams.publish(topic, sender, body.data);
        return { status: 201, body: publishedView(stored) };
      },
    }),
  ];
}
