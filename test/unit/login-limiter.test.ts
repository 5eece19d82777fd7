import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AddressQuota } from "../../src/core/accounts/address-quota.js";
import { LoginLimiter } from "../../src/core/accounts/login-limiter.js";
import { LocalBroker, LocalNetwork } from "../../src/engine/broker/local/index.js";

const WINDOW = 60_000;

/** Two nodes of one fleet: what one counts, the other sees. */
function fleet(): [LocalBroker, LocalBroker] {
  const network = new LocalNetwork();
  return [new LocalBroker({ nodeId: "a", network }), new LocalBroker({ nodeId: "b", network })];
}

describe("LoginLimiter on the fleet's counters", () => {
  it("blocks a name after perName failures, from any address, in any case, and only that name", async () => {
    const [a] = fleet();
    const limiter = new LoginLimiter(a.counters, "login", 3, 100, WINDOW);
    for (let i = 0; i < 3; i++) {
      assert.equal(await limiter.blocked("ann", "1.1.1.1"), false);
      await limiter.fail("ann", `10.0.0.${i}`);
    }
    assert.equal(await limiter.blocked("ann", "9.9.9.9"), true, "from any address");
    assert.equal(await limiter.blocked("ANN", "9.9.9.9"), true, "in any case");
    assert.equal(await limiter.blocked("bob", "9.9.9.9"), false);
  });

  it("folds names as the store does: composed and decomposed spellings share one count", async () => {
    const [a] = fleet();
    const limiter = new LoginLimiter(a.counters, "login", 2, 100, WINDOW);
    await limiter.fail("Jos\u00e9", "a");
    await limiter.fail("Jose\u0301", "a");
    assert.equal(await limiter.blocked("JOS\u00c9", "b"), true);
  });

  it("blocks an address after perAddress failures across names", async () => {
    const [a] = fleet();
    const limiter = new LoginLimiter(a.counters, "login", 100, 2, WINDOW);
    await limiter.fail("a", "10.0.0.1");
    await limiter.fail("b", "10.0.0.1");
    assert.equal(await limiter.blocked("c", "10.0.0.1"), true);
    assert.equal(await limiter.blocked("c", "10.0.0.2"), false);
  });

  it("N nodes do not give N times the allowance: failures on one node block on the other", async () => {
    const [a, b] = fleet();
    const onA = new LoginLimiter(a.counters, "login", 3, 100, WINDOW);
    const onB = new LoginLimiter(b.counters, "login", 3, 100, WINDOW);
    await onA.fail("ann", "x");
    await onB.fail("ann", "y");
    await onA.fail("ann", "z");
    assert.equal(await onB.blocked("ann", "w"), true);
  });

  it("the count ends with its window", async () => {
    const [a] = fleet();
    const limiter = new LoginLimiter(a.counters, "login", 1, 100, 50);
    await limiter.fail("ann", "x");
    assert.equal(await limiter.blocked("ann", "x"), true);
    const deadline = Date.now() + 5000;
    while (await limiter.blocked("ann", "x")) {
      assert.ok(Date.now() < deadline, "the window never ended");
      await new Promise((r) => setTimeout(r, 10));
    }
  });

  it("a success clears the name's count but not the address's", async () => {
    const [a] = fleet();
    const limiter = new LoginLimiter(a.counters, "login", 2, 2, WINDOW);
    await limiter.fail("ann", "x");
    await limiter.fail("ann", "x");
    await limiter.succeed("Ann");
    assert.equal(await limiter.blocked("ann", "y"), false);
    assert.equal(await limiter.blocked("bob", "x"), true);
  });

  it("scopes keep two ways in apart", async () => {
    const [a] = fleet();
    const http = new LoginLimiter(a.counters, "login", 1, 100, WINDOW);
    const fuse = new LoginLimiter(a.counters, "fuse-login", 1, 100, WINDOW);
    await http.fail("ann", "x");
    assert.equal(await fuse.blocked("ann", "x"), false);
  });
});

describe("AddressQuota on the fleet's counters", () => {
  it("allows `limit` actions per address across nodes, then refuses", async () => {
    const [a, b] = fleet();
    const onA = new AddressQuota(a.counters, "create", 3, WINDOW);
    const onB = new AddressQuota(b.counters, "create", 3, WINDOW);
    assert.deepEqual([await onA.take("1.2.3.4"), await onB.take("1.2.3.4"), await onA.take("1.2.3.4"), await onB.take("1.2.3.4")], [true, true, true, false]);
    assert.equal(await onB.take("5.6.7.8"), true, "another address has its own quota");
  });
});
