import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { z } from "zod";
import { fixedPaths, withSettings } from "../config/live.js";
import type { JsonObject } from "../core/json.js";
import { bearer, HttpError, methods, path, readJson, sendJson } from "./http.js";
import type { ApiFactory } from "./types.js";

const digest = (text: string) => createHash("sha256").update(text).digest();

/** Digests first, so the comparison takes the same time whatever the lengths. */
export function adminKeyMatches(given: string | null, key: string): boolean {
  return given !== null && key !== "" && timingSafeEqual(digest(given), digest(key));
}

const settingsBody = z.record(z.string(), z.unknown());

/**
 * The fleet's admin API: the node registry (the pubsub seed's cfgsrv) and the
 * live configuration every node applies. Behind the admin key.
 */
export const adminRoutes: ApiFactory = ({ core, config }) => {
  const broker = core.broker;
  const guard = (req: IncomingMessage) => {
    if (!adminKeyMatches(bearer(req), config.auth.adminKey)) throw new HttpError(401, "admin.unauthorized", "this route needs Authorization: Bearer <admin key>");
  };
  return [
    {
      kind: "http",
      match: path("/api/cluster"),
      handle: methods({
        async GET(req, res) {
          guard(req);
          const nodes = (await broker.nodes.list()).sort((a, b) => a.id.localeCompare(b.id));
          sendJson(res, 200, { nodes });
        },
      }),
    },
    {
      kind: "http",
      match: path("/api/config"),
      handle: methods({
        async GET(req, res) {
          guard(req);
          sendJson(res, 200, { settings: await broker.settings.get() });
        },
        async PATCH(req, res) {
          guard(req);
          const patch = (await readJson(req, settingsBody)) as JsonObject;
          const fixed = fixedPaths(patch);
          if (fixed.length > 0) throw new HttpError(400, "config.fixed", `cannot change while running: ${fixed.join(", ")}`);
          const settings = mergeSettings(await broker.settings.get(), patch);
          const checked = withSettings(config, settings);
          if (!checked.ok) throw new HttpError(400, "request.bad", checked.errors.join("; "));
          await broker.settings.set(settings);
          sendJson(res, 200, { settings });
        },
      }),
    },
  ];
};

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
