import type { JsonObject } from "../core/json.js";
import { merge } from "./load.js";
import { configSchema, type Config } from "./schema.js";

/**
 * Settings a running node cannot take on: where it listens and keeps its data,
 * what it is called in the fleet, and the secrets every node must agree on.
 */
const FIXED = new Set([
  "port", "host", "data", "nodeId", "trustedProxies", "store", "broker", "cluster", "metrics",
  "auth.secret", "auth.previousSecrets", "auth.adminKey", "fuse.secretKey",
]);

type Tree = { [key: string]: unknown };
const isTree = (v: unknown): v is Tree => typeof v === "object" && v !== null && !Array.isArray(v);

/** The dotted paths of a patch that name settings which cannot change live. */
export function fixedPaths(patch: Tree, prefix = ""): string[] {
  const found: string[] = [];
  for (const [key, value] of Object.entries(patch)) {
    const path = prefix + key;
    if (FIXED.has(path)) found.push(path);
    else if (isTree(value)) found.push(...fixedPaths(value, `${path}.`));
  }
  return found;
}

/** The configuration `settings` would make of `base`, or the schema's complaints. */
export function withSettings(base: Config, settings: JsonObject): { ok: true; config: Config } | { ok: false; errors: string[] } {
  const result = configSchema.safeParse(merge(base as unknown as Tree, settings));
  if (result.success) return { ok: true, config: result.data };
  return { ok: false, errors: result.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`) };
}

/**
 * Makes `live` (the object every part of the server reads its settings from)
 * equal to `next`, in place: sessions and services holding `live` see the new
 * values from their next read. Keys absent from `next` are removed, so a
 * record setting (really.collections, pubsub.providers) is replaced whole.
 */
export function assignInPlace(live: Tree, next: Tree): void {
  for (const key of Object.keys(live)) if (!(key in next)) delete live[key];
  for (const [key, value] of Object.entries(next)) {
    const current = live[key];
    if (isTree(value) && isTree(current)) assignInPlace(current, value);
    else live[key] = value;
  }
}
