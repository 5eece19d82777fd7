import { z } from "zod";
import { isoTime, jsonValue, named, nodeInfo, queryInt, segment, userRef } from "./schemas.js";

/** The shapes the admin API answers with and the dashboard reads; the dashboard's stream sends the same ones. */

export const roomParams = z.strictObject({ room: segment(256).describe("the room id, percent-encoded") });
export const userParams = z.strictObject({ user: segment(256).describe("a user id (an account's, or a guest's)") });

export const roomSummary = named(
  "RoomSummary",
  z.strictObject({
    id: z.string(),
    topic: z.string(),
    closed: z.boolean(),
    locked: z.boolean(),
    capacity: z.number().int().nullable(),
    creator: z.string().nullable(),
    admins: z.array(z.string()),
    bans: z.array(z.string()),
    created: isoTime,
    members: z.number().int().describe("users in the room now, fleet-wide"),
    connections: z.number().int().describe("their connections (a user may have several)"),
    lastSeq: z.number().int().describe("the newest seq of the room's stream (0: nothing yet)"),
  }),
  "A room with its live member count and position.",
);

export const roomList = named(
  "RoomList",
  z.strictObject({
    rooms: z.array(roomSummary),
    next: z.string().nullable().describe("pass as `after` for the next page; null at the end"),
  }),
);

export const roomListQuery = z.strictObject({
  q: z.string().max(128).optional().describe("only rooms whose id contains this (any case)"),
  after: z.string().max(256).optional().describe("the `next` of the previous page"),
  limit: queryInt(1, 200).default(50),
});

export const roomEvent = named(
  "RoomEvent",
  z.strictObject({
    seq: z.number().int().nullable().describe("its place in the room's stream; null for a signal that is not stored (joined, left, typing)"),
    type: z.string().describe("msg, set-room-topic, joined, left, …"),
    time: isoTime,
    sender: userRef,
    data: z.record(z.string(), jsonValue),
  }),
  "A room's event as the core has it, before any dialect renders it.",
);

export const historyQuery = z.strictObject({
  before: queryInt(1, Number.MAX_SAFE_INTEGER).optional().describe("newest first from here (exclusive); default: the newest"),
  from: queryInt(1, Number.MAX_SAFE_INTEGER).optional().describe("oldest first from here (inclusive), for paging forward"),
  limit: queryInt(1, 500).default(50),
});

export const historyPage = named(
  "HistoryPage",
  z.strictObject({
    events: z.array(roomEvent).describe("oldest first"),
    prev: z.number().int().nullable().describe("pass as `before` for the older page; null when there is none"),
    next: z.number().int().nullable().describe("pass as `from` for the newer page; null when this reaches the newest"),
  }),
);

export const presenceMember = named(
  "PresenceMember",
  z.strictObject({
    id: z.string(),
    name: z.string(),
    color: z.string(),
    verified: z.boolean(),
    guest: z.boolean(),
    connections: z.number().int(),
    nodes: z.array(z.string()).describe("the nodes holding its connections"),
  }),
);

export const presence = named("Presence", z.strictObject({ room: z.string(), members: z.array(presenceMember) }));

const messageText = z.string().min(1).max(65_536);
const onBehalf = segment(256).optional().describe("post as this user id (an account, or a member present in the room); default: the system");

export const roomMessage = z.strictObject({
  body: messageText,
  as: onBehalf,
  mentions: z.array(jsonValue).max(100).optional(),
  attachments: z.array(jsonValue).max(100).optional(),
});

export const published = named(
  "Published",
  z.strictObject({ stream: z.string().describe("room:<id> or topic:<name>"), seq: z.number().int(), time: isoTime, sender: userRef }),
  "A stored message: every member was sent it.",
);

export const topicParams = z.strictObject({ topic: segment(256).describe("the topic name, percent-encoded (a / is %2F)") });
export const topicMessage = z.strictObject({ data: jsonValue, as: onBehalf });

export const kickBody = z.strictObject({
  user: segment(256),
  ban: z.boolean().default(false).describe("also refuse the user from now on"),
  message: z.string().max(1000).nullable().optional().describe("shown where a dialect shows why (relay)"),
});

export const kicked = named("Kicked", z.strictObject({ room: z.string(), user: z.string(), banned: z.boolean() }));

export const accountDetail = named(
  "AccountDetail",
  z.strictObject({
    id: z.string(),
    name: z.string(),
    mail: z.string().nullable(),
    color: z.string(),
    created: isoTime,
    revokedBefore: isoTime.nullable().describe("credentials issued before this no longer work"),
  }),
);

export const newAccount = z.strictObject({ name: z.string().max(64), password: z.string().max(1024), mail: z.string().max(254).nullish() });

export const tokenRequest = z.strictObject({ ttlSeconds: z.number().int().min(1).max(10 * 365 * 86_400).optional() });

export const disconnectBody = z.strictObject({ reason: z.string().max(200).optional() });

export const memory = named(
  "Memory",
  z.strictObject({ rss: z.number(), heapUsed: z.number(), heapTotal: z.number(), external: z.number() }),
  "Bytes, as process.memoryUsage() reports them.",
);

export const stats = named(
  "Stats",
  z.strictObject({
    time: isoTime,
    node: z.strictObject({
      id: z.string(),
      version: z.string(),
      runtime: z.string().describe("the Node.js version"),
      uptimeSeconds: z.number().describe("of this process"),
      memory,
    }),
    nodes: z.array(nodeInfo),
    connections: z.strictObject({
      total: z.number().int(),
      byDialect: z.record(z.string(), z.number().int()),
    }).describe("every live node's open connections, from the registry (as fresh as its last heartbeat)"),
    rates: z
      .strictObject({ messagesIn: z.number(), messagesOut: z.number() })
      .nullable()
      .describe("this node's messages per second in and out (null when no metrics are attached)"),
  }),
  "The server and its fleet now.",
);
