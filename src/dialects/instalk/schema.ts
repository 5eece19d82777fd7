import { z } from "zod";
import { charsWithin } from "../common/chars.js";
import { perLimit } from "../common/per-limit.js";

export const ROOM_ID = /^[A-Za-z0-9_.-]{1,64}$/;
export const NAME = /^[\p{L}\p{N} ._-]{1,32}$/u;
export const MAIL = /^[^@\s]+@[^@\s]+$/;
export const SUPPORTED_VERSIONS = ["0.1"];

/** Mentions and attachments a message may carry. */
const MAX_LIST = 100;
const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** Per-operation `data` schemas; the server's own fields (sid, nr, time) are dropped, not trusted. */
function buildDataSchemas(maxBodyChars: number) {
  return {
    msg: z.object({
      body: z.string().refine((s) => charsWithin(s, 1, maxBodyChars), { message: `body must be 1-${maxBodyChars} characters` }),
      mentions: z.array(z.json()).max(MAX_LIST).default([]),
      attachments: z.array(z.json()).max(MAX_LIST).default([]),
    }),
    load: z.object({ "last-msg-nr": count }),
    sync: z.object({ from: count }),
    fetch: z.object({ before: count }),
    "set-room-topic": z.object({
      topic: z.string().refine((s) => charsWithin(s, 0, maxBodyChars), { message: `topic must be at most ${maxBodyChars} characters` }),
    }),
  };
}


/** Absent or empty: a list with items goes through the schema, whose `z.json()` also refuses what JSON.parse lets by (1e400 is Infinity) and drops `__proto__` keys. */
const noItems = (v: unknown): boolean => v === undefined || (Array.isArray(v) && v.length === 0);

/**
 * The shape nearly every `msg` has (a string body within the limit, no
 * mentions or attachments), read without zod: on the durable path zod's
 * object walk cost as much as the message's own JSON parse. The result is
 * the schema's for the same input (property-tested against it); null sends
 * anything else through the schema, which also words the errors.
 */
export function plainMsg(data: unknown, maxBodyChars: number): MsgData | null {
  if (typeof data !== "object" || data === null || Array.isArray(data)) return null;
  const { body, mentions, attachments } = data as Record<string, unknown>;
  if (typeof body !== "string" || !noItems(mentions) || !noItems(attachments) || !charsWithin(body, 1, maxBodyChars)) return null;
  return { body, mentions: [], attachments: [] };
}

/** Absent, null and "" all mean "no mail" / "no token". */
export const identifySchema = z.object({
  identity: z.string(),
  mail: z.string().nullish(),
  token: z.string().nullish(),
});

/** A colour the original client's rename may choose: `#` and six hex digits. */
export const COLOR = /^#[0-9A-Fa-f]{6}$/;

/** The original client's rename, `{"r":"*","o":"set-user-info","data":{"name","color"}}`: identify with a free name, and a colour. */
export const renameSchema = z.object({ name: z.string(), color: z.string().nullish() });

/** The original client's message text is `txt`; the seed's is `body`, which wins when both are there. */
export function bodyFromTxt(data: unknown): unknown {
  if (typeof data !== "object" || data === null || Array.isArray(data) || "body" in data || !("txt" in data)) return data;
  return { ...data, body: (data as { txt: unknown }).txt };
}

/** The refusal code for an identify field of the wrong type. */
export const IDENTIFY_REFUSALS: Record<string, string> = { identity: "name.invalid", mail: "mail.invalid", token: "token.invalid" };

export type DataSchemas = ReturnType<typeof buildDataSchemas>;

/** A `msg`'s data as the schema gives it: the body and the two lists, nothing else the client sent. */
export type MsgData = z.output<DataSchemas["msg"]>;

/** Shared by every session: one set of these schemas weighs ~27 KiB. */
export const dataSchemas = perLimit(buildDataSchemas);

/** zod issues as the protocol's `errors` object: dotted path → message. */
export function issuesToErrors(error: z.ZodError, prefix: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const issue of error.issues) out[[prefix, ...issue.path.map(String)].join(".")] = issue.message;
  return out;
}
