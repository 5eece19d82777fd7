/** How deep a client's JSON may nest. Far beyond any real message; far below what overflows a recursive validator. */
export const MAX_JSON_DEPTH = 64;

/**
 * Whether parsed JSON nests deeper than `max` arrays/objects. Recursive only
 * as deep as `max` (it stops there), so the check cannot overflow the stack
 * on the input it is guarding against (zod's recursive schemas throw
 * RangeError near depth 2000); it allocates nothing for arrays, the common
 * case of a frame's lists.
 */
export function tooDeep(value: unknown, max = MAX_JSON_DEPTH): boolean {
  return deeper(value, 0, max);
}

function deeper(node: unknown, depth: number, max: number): boolean {
  if (typeof node !== "object" || node === null) return false;
  if (depth >= max) return true;
  if (Array.isArray(node)) {
    for (const child of node) if (typeof child === "object" && child !== null && deeper(child, depth + 1, max)) return true;
    return false;
  }
  for (const key in node) {
    const child = (node as Record<string, unknown>)[key];
    if (typeof child === "object" && child !== null && deeper(child, depth + 1, max)) return true;
  }
  return false;
}
