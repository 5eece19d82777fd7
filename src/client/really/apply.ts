// Applies an `updated` push to a local copy of the document, so an app can
// keep an object live with `subscribe` alone.

import type { Json, JsonObject } from "../common/json.js";
import type { FieldChange } from "./frames.js";

type Container = JsonObject | Json[];

/** `a.b[2].c` → ["a", "b", 2, "c"] */
function steps(path: string): Array<string | number> {
  const out: Array<string | number> = [];
  for (const part of path.split(".")) {
    const m = /^([^[\]]*)((?:\[\d+\])*)$/.exec(part);
    if (!m) return [path];
    if (m[1]) out.push(m[1]);
    for (const idx of m[2].matchAll(/\[(\d+)\]/g)) out.push(Number(idx[1]));
  }
  return out;
}

const isContainer = (v: Json | undefined): v is Container => v !== null && typeof v === "object";

/** The container that holds the last step, made on the way when `make`. */
function parentOf(doc: JsonObject, path: Array<string | number>, make: boolean): Container | undefined {
  let at: Container = doc;
  for (let i = 0; i < path.length - 1; i++) {
    const step = path[i];
    let next: Json | undefined = (at as Record<string | number, Json>)[step];
    if (!isContainer(next)) {
      if (!make) return undefined;
      next = typeof path[i + 1] === "number" ? [] : {};
      (at as Record<string | number, Json>)[step] = next;
    }
    at = next;
  }
  return at;
}

const same = (a: Json, b: Json) => JSON.stringify(a) === JSON.stringify(b);

/** A new document with the push's changes applied (the input is not changed). */
export function applyUpdate<T extends JsonObject>(doc: T, changes: Record<string, FieldChange>, rev?: number): T {
  const out = structuredClone(doc) as JsonObject;
  for (const [key, change] of Object.entries(changes)) {
    const path = steps(key);
    const last = path[path.length - 1];
    const parent = parentOf(out, path, change.op !== "unset" && change.op !== "pull" && change.op !== "removeAt");
    if (!parent) continue;
    const slot = parent as Record<string | number, Json>;
    const value = change.opValue ?? null;
    switch (change.op) {
      case "set":
        slot[last] = value;
        break;
      case "unset":
        if (Array.isArray(parent) && typeof last === "number") parent.splice(last, 1);
        else delete slot[last];
        break;
      case "addNumber":
        slot[last] = (typeof slot[last] === "number" ? (slot[last] as number) : 0) + (typeof value === "number" ? value : 0);
        break;
      case "push":
      case "addToSet": {
        const list = Array.isArray(slot[last]) ? (slot[last] as Json[]) : (slot[last] = []);
        if (change.op === "push" || !list.some((item) => same(item, value))) list.push(value);
        break;
      }
      case "pull":
        if (Array.isArray(slot[last])) slot[last] = (slot[last] as Json[]).filter((item) => !same(item, value));
        break;
      case "insertAt":
        if (Array.isArray(parent) && typeof last === "number") parent.splice(last, 0, value);
        break;
      case "removeAt":
        if (Array.isArray(parent) && typeof last === "number") parent.splice(last, 1);
        break;
    }
  }
  if (rev !== undefined) out._rev = rev;
  return out as T;
}
