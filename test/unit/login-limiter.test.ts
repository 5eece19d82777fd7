import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LoginLimiter } from "../../src/core/accounts/login-limiter.js";

const WINDOW = 1000;

describe("LoginLimiter", () => {
  it("blocks a name after perName failures within the window, and only that name", () => {
    const limiter = new LoginLimiter(3, 100, WINDOW);
    for (let i = 0; i < 3; i++) {
      assert.equal(limiter.blocked("ann", "1.1.1.1", i), false);
      limiter.fail("ann", `10.0.0.${i}`, i);
    }
    assert.equal(limiter.blocked("ann", "9.9.9.9", 10), true, "from any address");
    assert.equal(limiter.blocked("ANN", "9.9.9.9", 10), true, "in any case");
    assert.equal(limiter.blocked("bob", "9.9.9.9", 10), false);
  });

  it("folds names as the store does: composed and decomposed spellings share one count", () => {
    const limiter = new LoginLimiter(2, 100, WINDOW);
    limiter.fail("Jos\u00e9", "a", 0);
    limiter.fail("Jose\u0301", "a", 0);
    assert.equal(limiter.blocked("JOS\u00c9", "b", 1), true);
  });

  it("blocks an address after perAddress failures across names", () => {
    const limiter = new LoginLimiter(100, 2, WINDOW);
    limiter.fail("a", "10.0.0.1", 0);
    limiter.fail("b", "10.0.0.1", 0);
    assert.equal(limiter.blocked("c", "10.0.0.1", 1), true);
    assert.equal(limiter.blocked("c", "10.0.0.2", 1), false);
  });

  it("the window slides: each failure stops counting windowMs after it happened", () => {
    const limiter = new LoginLimiter(2, 100, WINDOW);
    limiter.fail("ann", "x", 0);
    limiter.fail("ann", "x", 500);
    assert.equal(limiter.blocked("ann", "x", 999), true);
    assert.equal(limiter.blocked("ann", "x", 1000), false, "the first failure has left the window");
    limiter.fail("ann", "x", 1200);
    assert.equal(limiter.blocked("ann", "x", 1499), true, "the second and third are both inside it");
    assert.equal(limiter.blocked("ann", "x", 2200), false);
  });

  it("a success clears the name's count but not the address's", () => {
    const limiter = new LoginLimiter(2, 2, WINDOW);
    limiter.fail("ann", "x", 0);
    limiter.fail("ann", "x", 0);
    limiter.succeed("Ann");
    assert.equal(limiter.blocked("ann", "y", 1), false);
    assert.equal(limiter.blocked("bob", "x", 1), true);
  });

  it("checking drops keys whose failures all left the window", () => {
    const limiter = new LoginLimiter(5, 5, WINDOW);
    limiter.fail("ann", "x", 0);
    assert.equal(limiter.size, 2);
    limiter.blocked("ann", "x", WINDOW);
    assert.equal(limiter.size, 0);
  });

  it("sweeps stale keys once more than maxKeys are held", () => {
    const limiter = new LoginLimiter(5, 5, WINDOW, 10);
    for (let i = 0; i < 5; i++) limiter.fail(`old-${i}`, `10.0.0.${i}`, 0);
    assert.equal(limiter.size, 10);
    limiter.fail("new", "10.0.1.1", WINDOW + 1);
    assert.equal(limiter.size, 2, "only the fresh keys are left");
    assert.equal(limiter.blocked("new", "10.0.1.1", WINDOW + 2), false);
  });

  it("under a flood of fresh keys the oldest half goes, so memory stays bounded", () => {
    const limiter = new LoginLimiter(5, 5, WINDOW, 10);
    for (let i = 0; i < 100; i++) limiter.fail(`spray-${i}`, `10.0.${i}.1`, i);
    assert.ok(limiter.size <= 10, `size ${limiter.size}`);
    limiter.fail("last", "10.9.9.9", 100);
    assert.equal(limiter.blocked("last", "nowhere", 101), false);
    for (let i = 0; i < 4; i++) limiter.fail("last", "10.9.9.9", 101);
    assert.equal(limiter.blocked("last", "nowhere", 102), true, "the newest keys are the ones kept");
  });

  it("a flood of fresh keys does not wipe the count of a name still under attack", () => {
    const limiter = new LoginLimiter(3, 1000, WINDOW, 10);
    limiter.fail("target", "10.1.0.1", 0);
    for (let i = 0; i < 30; i++) {
      limiter.fail(`spray-${i}`, "10.2.0.1", i);
      if (i % 2 === 0) limiter.fail("target", "10.1.0.1", i);
    }
    assert.equal(limiter.blocked("target", "10.3.0.1", 31), true);
  });
});
