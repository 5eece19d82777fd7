import type { JsonObject } from "../../core/json.js";

/**
 * The text a kv value is stored (and compared) as: exactly what
 * `JSON.stringify` makes of the object `get` will hand back. Stringifying
 * twice matters for keys that look like array indexes ("1"): JavaScript
 * objects list those first, so `{"b":1,"1":2}` reads back as `{"1":2,"b":1}`,
 * and a caller passing that back to compareAndSet must still match.
 */
export function kvText(value: JsonObject): string {
  const text = JSON.stringify(value);
  if (typeof text !== "string") throw new TypeError("kv value is not JSON");
  return JSON.stringify(JSON.parse(text));
}

/** How often a store removes expired kv entries nobody reads again (revoked token ids and the like). */
export const KV_SWEEP_MS = 30_000;
