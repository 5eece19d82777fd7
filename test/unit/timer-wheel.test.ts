import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TimerWheel, type Timed } from "../../src/transport/timer-wheel.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function item(deadline: number, fired: string[], name: string): Timed {
  return { deadline, onDeadline: () => fired.push(name) };
}

describe("timer wheel", () => {
  it("fires items at their deadline, and an item whose deadline moved later only then", async () => {
    const wheel = new TimerWheel(10);
    const fired: string[] = [];
    const a = item(Date.now() + 30, fired, "a");
    const b = item(Date.now() + 30, fired, "b");
    wheel.schedule(a);
    wheel.schedule(b);
    b.deadline = Date.now() + 120; // a busy connection moves its deadline with a field write
    await sleep(80);
    assert.deepEqual(fired, ["a"]);
    await sleep(100);
    assert.deepEqual(fired, ["a", "b"]);
    assert.equal(wheel.pending, 0);
    wheel.stop();
  });

  it("cancel forgets an item at once, so a closed connection's far-off timer does not keep it alive", async () => {
    const wheel = new TimerWheel(10);
    const fired: string[] = [];
    const far = item(Date.now() + 24 * 3600 * 1000, fired, "far");
    const near = item(Date.now() + 20, fired, "near");
    wheel.schedule(far);
    wheel.schedule(near);
    assert.equal(wheel.pending, 2);
    wheel.cancel(far);
    wheel.cancel(near);
    wheel.cancel(near); // twice is harmless
    assert.equal(wheel.pending, 0);
    await sleep(60);
    assert.deepEqual(fired, []);
    wheel.stop();
  });

  it("scheduling an item again moves it: it is in one slot and fires once", async () => {
    const wheel = new TimerWheel(10);
    const fired: string[] = [];
    const x = item(Date.now() + 200, fired, "x");
    wheel.schedule(x);
    x.deadline = Date.now() + 20; // earlier: must be rescheduled to fire sooner
    wheel.schedule(x);
    assert.equal(wheel.pending, 1);
    await sleep(80);
    assert.deepEqual(fired, ["x"]);
    await sleep(200);
    assert.deepEqual(fired, ["x"]);
    wheel.stop();
  });
});
