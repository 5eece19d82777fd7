import type { JsonObject } from "../../core/json.js";
import type { Answer, Protocol } from "../../connection/protocol.js";
import { MAX_JSON_DEPTH } from "../../connection/json-depth.js";
import { envelope, reason } from "./frames.js";
import { errorFrame, type RequestId } from "./render.js";

export interface Request {
  op: string;
  id: RequestId;
  frame: Record<string, unknown>;
}

/** What a refusal repeats of its request: `op` and `id`, when the frame had them. */
export interface Ref {
  op: string | null;
  id: RequestId;
}

/** Room for `op`, `id` and `topics` around the largest allowed `data`. */
const ENVELOPE_BYTES = 16 * 1024;

const MESSAGES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "session expired",
  413: "Payload Too Large",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

/** An error frame and its metric label; the message defaults to the code's. */
export function refusal(op: string | null, id: RequestId, code: number, message = MESSAGES[code], extra: JsonObject = {}): Answer {
  return { text: errorFrame(op, id, code, message, extra), code: String(code) };
}

const refOf = (frame: Record<string, unknown>): Ref => ({
  op: typeof frame.op === "string" ? frame.op : null,
  id: typeof frame.id === "string" || typeof frame.id === "number" ? frame.id : null,
});

/** How pubsub frames are read and refusals said; the connection does the checking. */
export const pubsubProtocol: Protocol<Request, Ref> = {
  name: "pubsub",
  format: "json",
  // pubsub sizes frames by its own data limit, not limits.maxFrameBytes.
  maxFrameBytes: (config) => config.pubsub.maxDataBytes + ENVELOPE_BYTES,
  refOf,
  read(frame) {
    const obj = frame as Record<string, unknown>;
    const parsed = envelope.safeParse(obj);
    if (parsed.success) return { ok: true, request: { op: parsed.data.op, id: parsed.data.id ?? null, frame: obj } };
    const { op, id } = refOf(obj);
    return { ok: false, answer: refusal(op, id, 400, `Bad Request: ${reason(parsed.error)}`) };
  },
  refuse(r) {
    switch (r.kind) {
      case "rate-limited":
        return refusal(r.ref?.op ?? null, r.ref?.id ?? null, 429);
      case "too-large":
        return refusal(null, null, 413);
      case "too-deep":
        return refusal(r.ref?.op ?? null, r.ref?.id ?? null, 400, `Bad Request: JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
      case "overloaded":
        return { ...refusal(null, null, 429), close: { code: 1008, reason: "too many requests waiting" } };
      default:
        return refusal(null, null, 400, "Bad Request: not a JSON object");
    }
  },
  credentialEnded: (why) => ({ text: errorFrame("connect", null, 401, `token ${why}`), close: { code: 1008, reason: `token ${why}` } }),
  // Only a connection that never connected is timed out: the protocol has no heartbeat.
  graceMs: (config) => config.pubsub.connectGraceMs,
};
