// Property-based fuzzing of the document language every really client (and
// fuse's save/load) reaches: the filter parser and matcher, paths, and the
// update ops. Whatever the input, nothing throws and every answer has its
// documented shape. SWITCHBOARD_TEST_FUZZ_RUNS raises the count (npm run soak).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import type { Json, JsonObject } from "../../src/core/json.js";
import { applyOps, OP_NAMES, type UpdateOp } from "../../src/core/documents/ops.js";
import { matches, parseFilter } from "../../src/core/documents/filter.js";
import { parsePath } from "../../src/core/documents/path.js";

const RUNS = Number(process.env.SWITCHBOARD_TEST_FUZZ_RUNS ?? 2000);

/** Text that looks like the language as often as it looks like noise. */
const filterText = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.array(fc.constantFrom("a", "b.c", "x[1]", "_r", "$v", "$w", "=", "!=", ">=", "<", "and", "AND", " ", "(", "'", "\"", "[", "]", ".", "$", "1"), { maxLength: 40 }).map((parts) => parts.join(" ")),
  fc.string({ unit: "binary", maxLength: 1200 }),
);
const json = fc.jsonValue({ maxDepth: 4 }) as fc.Arbitrary<Json>;
const values = fc.dictionary(fc.constantFrom("v", "w", "r", "x"), json, { maxKeys: 4 }) as fc.Arbitrary<JsonObject>;
const body = fc.dictionary(fc.string({ maxLength: 6 }), json, { maxKeys: 6 }) as fc.Arbitrary<JsonObject>;
const pathText = fc.oneof(fc.string({ maxLength: 60 }), fc.array(fc.constantFrom("a", "b", ".", "[", "]", "0", "12", "$", "x"), { maxLength: 20 }).map((p) => p.join("")));

describe("fuzz: the document language never throws and always answers in shape", () => {
  it("parseFilter: ok with comparisons, or a message; matches() then answers a boolean for any body", () => {
    fc.assert(
      fc.property(filterText, values, body, (text, vals, doc) => {
        const parsed = parseFilter(text, vals);
        if (!parsed.ok) {
          assert.equal(typeof parsed.message, "string");
          assert.ok(parsed.message.length > 0);
          return;
        }
        assert.ok(Array.isArray(parsed.filter.all));
        assert.equal(typeof matches(parsed.filter, doc), "boolean");
      }),
      { numRuns: RUNS },
    );
  });

  it("parsePath: null or a list of string/number steps", () => {
    fc.assert(
      fc.property(pathText, (text) => {
        const steps = parsePath(text);
        if (steps === null) return;
        assert.ok(Array.isArray(steps));
        for (const s of steps) assert.ok(typeof s === "string" || (typeof s === "number" && Number.isInteger(s) && s >= 0));
      }),
      { numRuns: RUNS },
    );
  });

  it("applyOps: a new body and its changes, or a message; the input body is never mutated", () => {
    const op = fc.record({ op: fc.oneof(fc.constantFrom(...OP_NAMES), fc.string({ maxLength: 8 })), key: pathText, value: fc.option(json) }) as fc.Arbitrary<UpdateOp>;
    fc.assert(
      fc.property(body, fc.array(op, { maxLength: 6 }), (doc, ops) => {
        const before = JSON.stringify(doc);
        const result = applyOps(doc, ops);
        assert.equal(JSON.stringify(doc), before, "the stored body is not changed in place");
        if (result.ok) {
          assert.equal(typeof result.body, "object");
          assert.equal(typeof result.changes, "object");
          JSON.stringify(result.body);
        } else {
          assert.equal(typeof result.message, "string");
        }
      }),
      { numRuns: RUNS },
    );
  });
});
