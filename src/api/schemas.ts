import { z } from "zod";
import type { Json } from "../core/json.js";

/**
 * A schema named in the OpenAPI document's components (its `.meta` id, in
 * zod's global registry, where `.describe()` texts go too).
 */
export function named<T extends z.ZodType>(id: string, schema: T, description?: string): T {
  return schema.meta(description ? { id, description } : { id }) as T;
}

/** Every error answer of the API. */
export const errorBody = named(
  "Error",
  z.strictObject({
    code: z.number().int().describe("the HTTP status again"),
    error: z.string().describe("machine-readable: admin.unauthorized, request.bad, room.unknown, …"),
    reason: z.string().describe("for people"),
  }),
  "Every error: the HTTP status, a machine code and a reason.",
);

/** Any JSON value, as one named component that refers to itself (zod's own `z.json()` would come out anonymous). */
export const jsonValue: z.ZodType<Json> = named(
  "JsonValue",
  z.lazy(() => z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(jsonValue), z.record(z.string(), jsonValue)])),
  "Any JSON value.",
);

export const isoTime = z.iso.datetime();

export const userRef = named("UserRef", z.strictObject({ id: z.string(), name: z.string() }));

export const publicAccountSchema = named(
  "Account",
  z.strictObject({ id: z.string(), name: z.string(), mail: z.string().nullable(), color: z.string(), created: isoTime }),
  "A registered account as anyone may see it (no password hash).",
);

export const nodeInfo = named(
  "Node",
  z.strictObject({
    id: z.string(),
    address: z.string().describe("host:port"),
    started: z.number().describe("ms since epoch"),
    lastSeen: z.number().describe("ms since epoch of its latest heartbeat"),
    connections: z.record(z.string(), z.number().int()).describe("open connections per dialect"),
  }),
  "A live node of the fleet, as the node registry has it.",
);

/** Path segments that name things: percent-decoded, never empty, bounded. */
export const segment = (max: number) => z.string().min(1).max(max);

/** A query parameter that is a whole number (query values arrive as text). */
export const queryInt = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** `?ban=true` style flags. */
export const queryFlag = z.enum(["true", "false", "1", "0"]).transform((v) => v === "true" || v === "1");
