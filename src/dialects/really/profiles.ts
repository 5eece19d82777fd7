import type { AuthSession } from "../../core/auth.js";
import type { Core } from "../../core/core.js";
import type { Doc } from "../../core/documents/documents.js";
import type { JsonObject } from "../../core/json.js";
import { docRefusal } from "./errors.js";
import { USERS } from "./resource.js";

/** Profile fields the server sets: nobody changes them through `update`. */
export const READONLY_PROFILE_FIELDS = new Set(["name", "authType"]);

/**
 * A user's profile is the document `/users/<id>`. It is made on first use, from
 * the account (or, for an anonymous user, from that user's own session), so a
 * stream of anonymous connections that never touch a profile stores nothing.
 */
export async function profile(core: Core, id: string, self: AuthSession): Promise<Doc> {
  const who = self.identity;
  const found = await core.documents.get(USERS, id, who);
  if (found.ok) return found.doc;
  if (found.code !== "missing") return docRefusal(found.code, found.message);
  const seed = await seedOf(core, id, self);
  if (!seed) return docRefusal("missing");
  const made = await core.documents.create(USERS, seed, { id, name: String(seed.name) }, id);
  if (made.ok) return made.doc;
  // Another socket made it first: read what it made.
  const again = await core.documents.get(USERS, id, who);
  return again.ok ? again.doc : docRefusal(again.code, again.message);
}

async function seedOf(core: Core, id: string, self: AuthSession): Promise<JsonObject | null> {
  if (id === self.identity.id) return { name: self.identity.name, authType: self.authType };
  const account = await core.accounts.byId(id);
  return account ? { name: account.name, authType: "password" } : null;
}
