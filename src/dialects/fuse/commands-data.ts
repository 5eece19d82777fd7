import { randomBytes } from "node:crypto";
import type { DocResult } from "../../core/documents/documents.js";
import type { JsonObject } from "../../core/json.js";
import type { Command } from "./context.js";

/** `<key>` → the record it updates: the key is the saver's handle, never shown to readers. */
const KEYS_NS = "fuse.data-keys";
const MAX_JSON_CHARS = 512;
const MAX_LISTED = 200;

const isObject = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);

function parseObject(text: string): JsonObject | null {
  try {
    const value: unknown = JSON.parse(text);
    return isObject(value) ? value : null;
  } catch {
    return null;
  }
}

function saveRefusal(result: Exclude<DocResult, { ok: true }>): string {
  return result.code === "too-large" ? "save|fail|data too large" : "save|fail|data invalid";
}

/**
 * Small JSON records, kept as core documents (collection = the record type),
 * so the really dialect reads and writes the very same records.
 */
export const dataCommands: Record<string, Command> = {
  async save(f, s, { args }) {
    const type = args[0] ?? "";
    const json = args.slice(1).join("|");
    if ([...json].length > MAX_JSON_CHARS) return "save|fail|data too large";
    const body = parseObject(json);
    if (!body) return "save|fail|data invalid";
    const docs = f.ctx.core.documents;
    const kv = f.ctx.core.store.kv;
    const { key: given, ...rest } = body;
    const fields = typeof given === "string" ? rest : body;
    const handle = typeof given === "string" && given !== "" ? await kv.get(KEYS_NS, given) : null;
    const mine = handle?.owner === s.user.id && handle.collection === type ? String(given) : null;
    if (mine && handle) {
      const updated = await docs.replace(type, String(handle.id), fields, s.user);
      if (updated.ok) return `save|done|${updated.doc.id}|${mine}`;
      // Deleted elsewhere (really): the key lives on with a new record.
      if (updated.code !== "missing" && updated.code !== "gone") return saveRefusal(updated);
    }
    const created = await docs.create(type, fields, s.user);
    if (!created.ok) return saveRefusal(created);
    const key = mine ?? randomBytes(12).toString("base64url");
    await kv.put(KEYS_NS, key, { collection: type, id: created.doc.id, owner: s.user.id }, null);
    return `save|done|${created.doc.id}|${key}`;
  },
  async load(f, s, { args }) {
    const found = await f.ctx.core.documents.get(args[0] ?? "", args[1] ?? "", s.user);
    return found.ok ? `load|done|${JSON.stringify(found.doc.body)}` : "load|fail|data not found";
  },
};

/** `list|data|<type>`: the ids of that type's records, oldest first. */
export const listData: Command = async (f, s, { args }) => {
  const { docs } = await f.ctx.core.documents.list(args[1] ?? "", { limit: MAX_LISTED, ascending: true }, s.user);
  return ["list|done|data", ...docs.map((d) => d.id)].join("|");
};
