import type { Answer, Protocol } from "../../connection/protocol.js";
import { MAX_JSON_DEPTH } from "../../connection/json-depth.js";
import { errorFrame } from "./render.js";
import { readRequest, type AnyRequest } from "./schema.js";

/** Close codes: 4xxx mirrors the HTTP status of the same meaning. */
export const CLOSE = { keyEnded: 4401, pongTimeout: 4408 } as const;

export const refusal = (code: string, message: string, ref: string | null): Answer => ({ text: errorFrame(code, message, ref), code });

/** How relay frames are read and refusals said; the connection does the checking. */
export const relayProtocol: Protocol<AnyRequest, string> = {
  name: "relay",
  format: "json",
  maxFrameBytes: (config) => config.limits.maxFrameBytes,
  refOf: (frame) => (typeof frame.type === "string" ? frame.type : null),
  read(frame) {
    const read = readRequest(frame as Record<string, unknown>);
    return read.ok ? read : { ok: false, answer: refusal(read.code, read.message, read.ref) };
  },
  refuse(r) {
    switch (r.kind) {
      case "rate-limited":
        return refusal("rate.limited", "too many requests; slow down", r.ref);
      case "too-large":
        return refusal("frame.too-large", "frame is larger than the server accepts", null);
      case "not-json":
        return refusal("frame.invalid", "frame is not JSON", null);
      case "too-deep":
        return refusal("frame.invalid", `frame is nested deeper than ${MAX_JSON_DEPTH} levels`, r.ref);
      case "overloaded":
        return { ...refusal("rate.limited", "too many requests; slow down", null), close: { code: 1008, reason: "too many requests waiting" } };
      default:
        return refusal("frame.invalid", "frame is not a JSON object", null);
    }
  },
  credentialEnded: (why) => ({ close: { code: CLOSE.keyEnded, reason: `key ${why}` } }),
};
