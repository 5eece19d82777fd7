import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { dataSchemas, plainMsg } from "../../src/dialects/instalk/schema.js";

const LIMIT = 12;
const schema = dataSchemas(LIMIT).msg;

/** What a frame's JSON can hold in `data`: often the usual shape, sometimes anything. */
const list = fc.oneof(fc.constant(undefined), fc.constant(null), fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }), fc.array(fc.constant(1), { minLength: 99, maxLength: 102 }), fc.string());
const usual = fc.record(
  {
    body: fc.oneof(fc.string({ maxLength: 16 }), fc.string({ unit: "grapheme", maxLength: 16 }), fc.integer(), fc.constant(null)),
    mentions: list,
    attachments: list,
    sid: fc.string(),
    nr: fc.integer(),
    txt: fc.string(),
  },
  { requiredKeys: [] },
);
const data = fc.oneof(usual, fc.jsonValue({ maxDepth: 3 }));

/** The fast path's whole domain: no mention or attachment items (a list with items always goes through the schema). */
const noItems = (v: unknown) => {
  const d = (typeof v === "object" && v !== null ? v : {}) as Record<string, unknown>;
  return [d.mentions, d.attachments].every((l) => l === undefined || (Array.isArray(l) && l.length === 0));
};

test("instalk's msg fast path gives exactly what the zod schema gives, and within its domain takes exactly what it takes", () => {
  fc.assert(
    fc.property(data, (value) => {
      // Through JSON, as a frame's data arrives (undefined fields vanish, as they would on the wire).
      const parsed: unknown = JSON.parse(JSON.stringify(value) ?? "null");
      const fast = plainMsg(parsed, LIMIT);
      const slow = schema.safeParse(parsed);
      if (fast !== null) assert.ok(slow.success, JSON.stringify(parsed));
      if (noItems(parsed) && typeof (parsed as { body?: unknown } | null)?.body === "string") assert.equal(fast !== null, slow.success, JSON.stringify(parsed));
      if (fast && slow.success) assert.deepEqual(fast, slow.data);
    }),
    { numRuns: 5000 },
  );
});

test("a body of exactly the limit passes, one character more goes to the schema's error", () => {
  assert.deepEqual(plainMsg({ body: "😀".repeat(LIMIT) }, LIMIT), { body: "😀".repeat(LIMIT), mentions: [], attachments: [] });
  assert.equal(plainMsg({ body: "😀".repeat(LIMIT + 1) }, LIMIT), null);
  assert.equal(plainMsg({ body: "" }, LIMIT), null);
  assert.equal(plainMsg({ txt: "hi" }, LIMIT), null);
});

test("what JSON.parse lets by and the schema does not (an overflowing number, a __proto__ key) is never taken by the fast path", () => {
  for (const raw of [
    '{"body":"hi","mentions":[1e400]}',
    '{"body":"hi","attachments":[{"size":-1e999}]}',
    '{"body":"hi","mentions":[{"__proto__":{"admin":true},"id":"u1"}]}',
  ]) {
    const data: unknown = JSON.parse(raw);
    const slow = schema.safeParse(data);
    const fast = plainMsg(data, LIMIT);
    assert.equal(fast, null, raw);
    // The schema's own answer stands: refused, or cleaned of the key.
    if (slow.success) assert.equal(JSON.stringify(slow.data.mentions), '[{"id":"u1"}]');
  }
});
