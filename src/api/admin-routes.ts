import { z } from "zod";
import { fixedPaths, withSettings } from "../config/live.js";
import type { Config } from "../config/schema.js";
import type { JsonObject } from "../core/json.js";
import { redactUrl } from "../engine/redact.js";
import { HttpError } from "./http.js";
import { op, type Operation } from "./operations.js";
import { errorBody, jsonValue, named, nodeInfo } from "./schemas.js";
import type { ApiContext } from "./types.js";

export { adminKeyMatches } from "./admin-guard.js";

const settingsBody = z.record(z.string(), z.unknown());
const settingsTree = z.record(z.string(), jsonValue);

const REDACTED = "[redacted]";

/** The running configuration fit to show: secrets replaced, passwords out of URLs. */
export function redactedConfig(config: Config): JsonObject {
  const copy = structuredClone(config);
  const hide = (value: string) => (value === "" ? "" : REDACTED);
  copy.auth.adminKey = hide(copy.auth.adminKey);
  copy.auth.secret = hide(copy.auth.secret);
  copy.auth.previousSecrets = copy.auth.previousSecrets.map(() => REDACTED);
  copy.fuse.secretKey = hide(copy.fuse.secretKey);
  if (copy.store.url) copy.store.url = redactUrl(copy.store.url);
  if (copy.broker.url) copy.broker.url = redactUrl(copy.broker.url);
  for (const provider of Object.values(copy.pubsub.providers)) provider.verifierUrl = redactUrl(provider.verifierUrl);
  return copy as unknown as JsonObject;
}

const liveSettings = named(
  "LiveSettings",
  z.strictObject({
    settings: settingsTree.describe("what PATCH /api/config has set, fleet-wide"),
    effective: settingsTree.optional().describe("this node's whole running configuration, secrets redacted"),
  }),
);

/**
 * The fleet's admin API: the node registry (the pubsub seed's cfgsrv) and the
 * live configuration every node applies. Behind the admin key.
 */
export function clusterOperations({ core, config }: ApiContext): Operation[] {
  const broker = core.broker;
  return [
    op({
      id: "clusterNodes",
      method: "GET",
      path: "/api/cluster",
      summary: "The fleet's live nodes",
      tags: ["admin"],
      security: "admin",
      responses: { 200: { description: "every node in the registry", schema: named("Cluster", z.strictObject({ nodes: z.array(nodeInfo) })) } },
      async handle() {
        const nodes = (await broker.nodes.list()).sort((a, b) => a.id.localeCompare(b.id));
        return { status: 200, body: { nodes } };
      },
    }),
    op({
      id: "getConfig",
      method: "GET",
      path: "/api/config",
      summary: "The live settings, and this node's running configuration",
      tags: ["admin"],
      security: "admin",
      responses: { 200: { description: "settings set at run time, and the effective configuration", schema: liveSettings } },
      async handle() {
        return { status: 200, body: { settings: await broker.settings.get(), effective: redactedConfig(config) } };
      },
    }),
    op({
      id: "patchConfig",
      method: "PATCH",
      path: "/api/config",
      summary: "Changes settings on every node, without a restart",
      description: "A nested object merges into what is set; anything else replaces. Settings a running node cannot take (port, store, secrets…) are refused with 400 naming them.",
      tags: ["admin"],
      security: "admin",
      body: settingsBody,
      responses: {
        200: { description: "what is set now", schema: named("Settings", z.strictObject({ settings: settingsTree })) },
        400: { description: "a fixed setting, or a value the schema refuses", schema: errorBody },
      },
      async handle({ body }) {
        const patch = body as JsonObject;
        const fixed = fixedPaths(patch);
        if (fixed.length > 0) throw new HttpError(400, "config.fixed", `cannot change while running: ${fixed.join(", ")}`);
        const settings = mergeSettings(await broker.settings.get(), patch);
        const checked = withSettings(config, settings);
        if (!checked.ok) throw new HttpError(400, "request.bad", checked.errors.join("; "));
        await broker.settings.set(settings);
        return { status: 200, body: { settings } };
      },
    }),
  ];
}

/** Later patches add to earlier ones; a nested object merges, anything else replaces. */
function mergeSettings(current: JsonObject, patch: JsonObject): JsonObject {
  const out: JsonObject = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    const before = out[key];
    const nested = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);
    out[key] = nested(value) && nested(before) ? mergeSettings(before, value) : value;
  }
  return out;
}
