import { z } from "zod";
import { perLimit } from "../common/per-limit.js";
import { OP_NAMES } from "../../core/documents/ops.js";
import { refuse } from "./errors.js";
import { charsWithin } from "../common/chars.js";

export const SUPPORTED_VERSIONS = ["0.1"];
export const COMMANDS = ["initialize", "ping", "get", "read", "create", "update", "delete", "subscribe", "unsubscribe"] as const;
export type Command = (typeof COMMANDS)[number];

export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 200;
/** Largest `skip`: stepping over items reads them, so it is bounded like a scan. */
export const MAX_SKIP = 10_000;
const MAX_SUBSCRIPTIONS_PER_REQUEST = 100;

const tag = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const rText = z.string().max(512);
const jsonObject = z.record(z.string(), z.json());

/** The envelope every request shares; what a command needs beyond it is checked by that command. */
export const requestSchema = z.object({
  tag,
  cmd: z.string().max(64),
  cmdOpts: z.record(z.string(), z.unknown()).optional(),
  r: rText.optional(),
  rev: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  body: z.unknown().optional(),
});
export type Request = z.infer<typeof requestSchema>;

export const initializeSchema = z.object({ accessToken: z.string().min(1).max(4096) });

export const getOptions = z.object({ fields: z.array(z.string().min(1).max(256)).max(100).optional() }).optional();

export const readOptions = z
  .object({
    limit: z.number().int().min(1).transform((n) => Math.min(n, MAX_LIMIT)).default(DEFAULT_LIMIT),
    ascending: z.boolean().default(false),
    paginationToken: z.string().max(1024).optional(),
    query: z.object({ filter: z.string().max(1000), values: jsonObject.default({}) }).optional(),
    subscribe: z.boolean().default(false),
    // The original protocol's: the size of the whole result (`body.totalResults`), and items to step over.
    includeTotalCount: z.boolean().default(false),
    skip: z.number().int().min(0).max(MAX_SKIP).default(0),
  })
  .default({ limit: DEFAULT_LIMIT, ascending: false, subscribe: false, includeTotalCount: false, skip: 0 });

export const messageBody = perLimit(buildMessageBody);

function buildMessageBody(maxChars: number) {
  return z.object({
    body: z.string().refine((s) => charsWithin(s, 1, maxChars), { message: `must be 1-${maxChars} characters` }),
    mentions: z.array(z.json()).max(100).default([]),
    attachments: z.array(z.json()).max(100).default([]),
  });
}

export const roomBody = z.object({ name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/), topic: z.string().max(4000).default("") });

export const docBody = jsonObject;

export const updateBody = z.object({
  ops: z
    .array(
      z.object({
        op: z.enum(OP_NAMES),
        key: z.string().min(1).max(256),
        value: z.json().optional(),
        opArgs: jsonObject.optional(),
      }),
    )
    .min(1)
    .max(100),
});

export const subscribeBody = z.object({
  subscriptions: z
    .array(z.object({ r: rText, rev: z.number().int().min(0).optional(), fields: z.array(z.string().max(256)).max(100).optional() }))
    .min(1)
    .max(MAX_SUBSCRIPTIONS_PER_REQUEST),
});

export const unsubscribeBody = z.object({ subscriptions: z.array(rText).min(1).max(MAX_SUBSCRIPTIONS_PER_REQUEST) });

/** The value `schema` makes of `value`, or a 400 naming every problem under `prefix`. */
export function parseOr400<T>(schema: z.ZodType<T>, value: unknown, prefix: string): T {
  const parsed = schema.safeParse(value);
  return parsed.success ? parsed.data : refuse(400, "request.invalid", issuesToErrors(parsed.error, prefix));
}

/** zod issues as the protocol's `errors` object: dotted path → message. */
export function issuesToErrors(error: z.ZodError, prefix: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const issue of error.issues) out[[prefix, ...issue.path.map(String)].filter(Boolean).join(".")] = issue.message;
  return out;
}
