import assert from "node:assert/strict";
import { test } from "node:test";
import { withSenderProfile } from "../../src/core/rooms.js";
import type { Identity } from "../../src/core/types.js";

const who: Identity = { id: "u1", name: "Ann", color: "#22BBFF", verified: true, guest: false };

test("the sender's profile is added to a copy: the caller's data is untouched, every key kept as data", () => {
  const data = JSON.parse('{"body":"hi","__proto__":{"admin":true},"n":1}') as Record<string, never>;
  const out = withSenderProfile(who, data);
  assert.equal(Object.getPrototypeOf(out), Object.prototype);
  assert.deepEqual(JSON.parse(JSON.stringify(out)), { body: "hi", ["__proto__"]: { admin: true }, n: 1, by: { color: "#22BBFF", verified: true, guest: false } });
  assert.equal("by" in data, false);
  assert.equal((out as { admin?: unknown }).admin, undefined);
});

test("a sender that is only a name (the system) adds no profile", () => {
  const data = { body: "x" };
  assert.equal(withSenderProfile({ id: "system", name: "system" }, data), data);
});
