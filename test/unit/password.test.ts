import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { hashPassword, verifyPassword } from "../../src/core/accounts/password.js";

describe("password hashing", () => {
  it("is scrypt with its cost in the record (N=2^15, r=8, p=1), a 16-byte salt and a 32-byte key", async () => {
    const hash = await hashPassword("correct horse");
    const [scheme, n, r, p, salt, key] = hash.split("$");
    assert.deepEqual([scheme, n, r, p], ["scrypt", "32768", "8", "1"]);
    assert.equal(Buffer.from(salt, "base64url").length, 16);
    assert.equal(Buffer.from(key, "base64url").length, 32);
    assert.ok(!hash.includes("correct horse"));
  });

  it("verifies the right password and refuses any other", async () => {
    const hash = await hashPassword("correct horse");
    assert.equal(await verifyPassword("correct horse", hash), true);
    for (const wrong of ["correct horse ", "Correct horse", "", "correct hors"]) assert.equal(await verifyPassword(wrong, hash), false, JSON.stringify(wrong));
  });

  it("salts every hash: the same password hashes differently each time, and each verifies", async () => {
    const [a, b] = await Promise.all([hashPassword("same"), hashPassword("same")]);
    assert.notEqual(a, b);
    assert.equal(await verifyPassword("same", a), true);
    assert.equal(await verifyPassword("same", b), true);
  });

  it("composed and decomposed spellings of a password are the same password", async () => {
    const hash = await hashPassword("caf\u00e9");
    assert.equal(await verifyPassword("cafe\u0301", hash), true);
  });

  it("a record it cannot read is a plain false, not an error", async () => {
    const hash = await hashPassword("pw");
    const [, , r, p, salt, key] = hash.split("$");
    for (const stored of ["", "plain text", `bcrypt$32768$${r}$${p}$${salt}$${key}`, `scrypt$not-a-number$${r}$${p}$${salt}$${key}`, `scrypt$1000$${r}$${p}$${salt}$${key}`, `scrypt$32768$${r}$${p}$${salt}$`]) {
      assert.equal(await verifyPassword("pw", stored), false, stored);
    }
  });
});
