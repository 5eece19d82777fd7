import type { Json, JsonObject } from "../json.js";

/** One step into a JSON value: an object key or an array index. */
export type PathStep = string | number;

/** Keys that would reach an object's prototype rather than its own data. */
const UNSAFE = new Set(["__proto__", "constructor", "prototype"]);
const STEP = /\.?([^.[\]]+)|\[(\d{1,9})\]/y;

/**
 * A dotted path with array items in brackets: `address.city`, `picture[0]`,
 * `a.b[2].c`. Null when the text is not one (empty step, unsafe key, stray bracket).
 */
export function parsePath(text: string): PathStep[] | null {
  if (text.length === 0 || text.length > 256 || text.startsWith(".") || text.startsWith("[")) return null;
  const steps: PathStep[] = [];
  STEP.lastIndex = 0;
  while (STEP.lastIndex < text.length) {
    const at = STEP.lastIndex;
    const m = STEP.exec(text);
    if (!m || (m[1] !== undefined && at > 0 && text[at] !== ".")) return null;
    if (m[1] !== undefined) {
      if (UNSAFE.has(m[1])) return null;
      steps.push(m[1]);
    } else steps.push(Number(m[2]));
  }
  return steps;
}

export function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The value at `path`, or undefined when any step is missing (own properties only). */
export function getAt(root: Json, path: PathStep[]): Json | undefined {
  let node: Json | undefined = root;
  for (const step of path) {
    if (typeof step === "number") {
      if (!Array.isArray(node) || step >= node.length) return undefined;
      node = node[step];
    } else {
      if (!isObject(node) || !Object.hasOwn(node, step)) return undefined;
      node = node[step];
    }
  }
  return node;
}

export function deepEqual(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}
