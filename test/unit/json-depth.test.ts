import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { tooDeep } from "../../src/connection/json-depth.js";

/** Nesting depth of arrays/objects: a scalar 0, `[]` and `{}` 1. */
function depth(v: unknown): number {
  if (typeof v !== "object" || v === null) return 0;
  const children = Array.isArray(v) ? v : Object.values(v);
  return 1 + Math.max(0, ...children.map(depth));
}

test("tooDeep says whether JSON nests deeper than the limit, for any JSON", () => {
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 8 }), fc.integer({ min: 0, max: 9 }), (v, max) => {
      const parsed: unknown = JSON.parse(JSON.stringify(v));
      assert.equal(tooDeep(parsed, max), depth(parsed) > max);
    }),
    { numRuns: 3000 },
  );
});

test("a frame nested a hundred thousand deep is refused without overflowing the stack", () => {
  const deep = JSON.parse("[".repeat(100_000) + "]".repeat(100_000));
  assert.equal(tooDeep(deep), true);
  const wide = JSON.parse(`{"a":${"[".repeat(64)}${"]".repeat(64)}}`);
  assert.equal(tooDeep(wide, 64), true);
  assert.equal(tooDeep(wide, 65), false);
});
