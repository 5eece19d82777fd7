/** How deep a client's JSON may nest. Far beyond any real message; far below what overflows a recursive validator. */
export const MAX_JSON_DEPTH = 64;

/**
 * Whether parsed JSON nests deeper than `max` arrays/objects. Iterative, so
 * the check itself cannot overflow the stack on the input it is guarding
 * against (zod's recursive schemas throw RangeError near depth 2000).
 */
export function tooDeep(value: unknown, max = MAX_JSON_DEPTH): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (typeof node !== "object" || node === null) continue;
    if (depth >= max) return true;
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      if (typeof child === "object" && child !== null) stack.push([child, depth + 1]);
    }
  }
  return false;
}
