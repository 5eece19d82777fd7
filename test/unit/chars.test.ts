import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { charsWithin } from "../../src/dialects/common/chars.js";

const count = (s: string) => [...s].length;

test("charsWithin agrees with counting code points, whatever the text (surrogate pairs, lone surrogates)", () => {
  const text = fc.oneof(fc.string({ unit: "grapheme", maxLength: 40 }), fc.string({ unit: "binary", maxLength: 40 }), fc.string({ maxLength: 40 }));
  fc.assert(
    fc.property(text, fc.nat(45), fc.nat(45), (s, a, b) => {
      const [min, max] = a <= b ? [a, b] : [b, a];
      const n = count(s);
      assert.equal(charsWithin(s, min, max), n >= min && n <= max, JSON.stringify({ s, min, max, n }));
    }),
    { numRuns: 5000 },
  );
});

test("an emoji is one character: a 4000-character limit takes 4000 emoji, not 4001", () => {
  assert.equal(charsWithin("😀".repeat(4000), 1, 4000), true);
  assert.equal(charsWithin("😀".repeat(4001), 1, 4000), false);
  assert.equal(charsWithin("", 1, 4000), false);
});
