import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { applyOps } from "../../src/core/documents/ops.js";

/** What an `updated` push tells subscribers must rebuild the server's document when replayed one entry per key. */
describe("document update changes", () => {
  it("ops on distinct keys are reported as they were sent", () => {
    const r = applyOps({ n: 1, tags: ["x"] }, [
      { op: "addNumber", key: "n", value: 2 },
      { op: "push", key: "tags", value: "y" },
    ]);
    assert.ok(r.ok);
    assert.deepEqual(r.changes, { n: { op: "addNumber", opValue: 2 }, tags: { op: "push", opValue: "y" } });
  });

  it("a key touched twice becomes one set of its final value", () => {
    const r = applyOps({ n: 1, tags: [] }, [
      { op: "push", key: "tags", value: "x" },
      { op: "push", key: "tags", value: "y" },
      { op: "set", key: "n", value: 10 },
      { op: "addNumber", key: "n", value: 5 },
    ]);
    assert.ok(r.ok);
    assert.deepEqual(r.body, { n: 15, tags: ["x", "y"] });
    assert.deepEqual(r.changes, { tags: { op: "set", opValue: ["x", "y"] }, n: { op: "set", opValue: 15 } });
  });

  it("a path and a path inside it become one set at the outer path", () => {
    const r = applyOps({ a: { b: 1 } }, [
      { op: "set", key: "a", value: { b: 2, c: 3 } },
      { op: "addNumber", key: "a.b", value: 1 },
    ]);
    assert.ok(r.ok);
    assert.deepEqual(r.changes, { a: { op: "set", opValue: { b: 3, c: 3 } } });
  });
});
