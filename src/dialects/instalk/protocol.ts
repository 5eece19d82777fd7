import type { Answer, Protocol } from "../../connection/protocol.js";
import { errorFrame } from "./render.js";

/** A client frame: a JSON object the session dispatches on its keys. */
export type Frame = Record<string, unknown>;

const refusal = (code: number, msg: string): Answer => ({ text: errorFrame(code, msg), code: String(code) });

/** How instalk frames are read and refusals said; the connection does the checking. */
export const instalkProtocol: Protocol<Frame> = {
  name: "instalk",
  format: "json",
  maxFrameBytes: (config) => config.limits.maxFrameBytes,
  read: (value) => ({ ok: true, request: value as Frame }),
  refuse(r) {
    switch (r.kind) {
      case "rate-limited":
        return refusal(429, "rate.limited");
      case "too-large":
        return refusal(413, "frame.too-large");
      case "overloaded":
        return { ...refusal(429, "rate.limited"), close: { code: 1008, reason: "too many requests waiting" } };
      default:
        // Not JSON, not an object, nested too deep: all the same to an instalk client.
        return refusal(400, "json.malformed");
    }
  },
  credentialEnded: (why) => ({ text: errorFrame(401, `token.${why}`), close: { code: 1008, reason: `token ${why}` } }),
  graceMs: (config) => config.instalk.graceMs,
  idleMs: (config) => config.instalk.idleMs,
};
