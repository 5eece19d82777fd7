import type { Answer, Protocol } from "../../connection/protocol.js";
import { MAX_JSON_DEPTH } from "../../connection/json-depth.js";
import { errorFrame, type WireError } from "./render.js";
import { issuesToErrors, requestSchema, type Request } from "./schema.js";

/** A request as read: the envelope, and the frame itself (a command reads its own fields from it). */
export interface Tagged {
  request: Request;
  raw: Record<string, unknown>;
}

/** The request's tag when it has a usable one, so even a refused request can be matched to its reply. */
function tagOf(value: unknown): number | undefined {
  const tag = (value as { tag?: unknown } | null)?.tag;
  return Number.isSafeInteger(tag) && (tag as number) >= 0 ? (tag as number) : undefined;
}

const refusal = (error: WireError, tag?: number, r?: string): Answer => ({ text: errorFrame(error, tag, r), code: String(error.code) });

/** The envelope every request shares; anything else is 400 request.invalid, with the tag when it had one. */
function invalid(value: unknown): Answer {
  const parsed = requestSchema.safeParse(value);
  const errors = parsed.success ? {} : issuesToErrors(parsed.error, "");
  return refusal({ code: 400, message: "request.invalid", errors }, tagOf(value));
}

/** How really frames are read and refusals said; the connection does the checking. */
export const reallyProtocol: Protocol<Tagged, number> = {
  name: "really",
  format: "json",
  maxFrameBytes: (config) => config.limits.maxFrameBytes,
  refOf: (value) => tagOf(value) ?? null,
  read(value) {
    const raw = value as Record<string, unknown>;
    const parsed = requestSchema.safeParse(raw);
    return parsed.success ? { ok: true, request: { request: parsed.data, raw } } : { ok: false, answer: invalid(raw) };
  },
  refuse(r) {
    switch (r.kind) {
      case "rate-limited":
        return refusal({ code: 429, message: "rate.limited" }, r.ref ?? undefined);
      case "too-large":
        // Not read, so its tag is unknown.
        return refusal({ code: 413, message: "frame.too-large" });
      case "not-json":
        // Text that is not JSON cannot be told apart from the next frame: the socket ends here.
        return { ...refusal({ code: 400, message: "json.malformed" }), close: { code: 1007, reason: "malformed JSON" }, deaf: true };
      case "too-deep":
        // Nesting past any real document would overflow the recursive validators: refused like any bad request.
        return refusal({ code: 400, message: "request.invalid", errors: { "": `JSON nested deeper than ${MAX_JSON_DEPTH} levels` } }, r.ref ?? undefined);
      case "not-object":
        return invalid(r.value);
      default:
        return { close: { code: 1008, reason: "too many requests waiting" } };
    }
  },
  credentialEnded: () => ({ text: JSON.stringify({ evt: "token-expired" }), close: { code: 1008, reason: "token expired" } }),
  idleMs: (config) => config.really.idleMs,
};
