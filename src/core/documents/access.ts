import type { UserRef } from "../types.js";

/** "any": every initialized user (anonymous ones too); "owner": only the user who created the document. */
export type Who = "any" | "owner";

export interface Access {
  read: Who;
  write: Who;
}

export interface AccessRules {
  defaultAccess: Access;
  collections: Record<string, Access>;
}

/** A nested collection (`posts/p1/comments`) is ruled by its own entry, else by its top collection's, else the default. */
export function accessFor(rules: AccessRules, collection: string): Access {
  return rules.collections[collection] ?? rules.collections[collection.split("/")[0]] ?? rules.defaultAccess;
}

export function mayRead(access: Access, owner: string, by: UserRef | null): boolean {
  if (access.read === "any") return true;
  return by !== null && by.id === owner;
}

export function mayWrite(access: Access, owner: string, by: UserRef): boolean {
  return access.write === "any" || by.id === owner;
}
