import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Disconnects, type Disconnect } from "../../src/core/disconnects.js";
import type { Hub } from "../../src/core/hub.js";
import type { CoreEvent } from "../../src/core/types.js";

/** A hub that hands what is published straight to the one listener. */
function fakeHub(): Hub {
  let listener: ((event: CoreEvent) => void) | null = null;
  return {
    listen: async (_channel: string, fn: (event: CoreEvent) => void) => void (listener = fn),
    publish: async (event: CoreEvent) => listener?.(event),
  } as unknown as Hub;
}

describe("disconnect orders", () => {
  it("reach one watcher and many alike, once each; unwatched ones are not told", async () => {
    const ended: string[] = [];
    const disconnects = new Disconnects(fakeHub(), (user) => ended.push(user));
    await disconnects.start();
    const told: string[] = [];
    const conn = { disconnected: (order: Disconnect) => told.push(`conn:${order.userId}:${order.reason}`) };
    const fn = (order: Disconnect) => told.push(`fn:${order.userId}`);
    const gone = (order: Disconnect) => told.push(`gone:${order.userId}`);

    disconnects.watch("solo", conn);
    disconnects.watch("solo", conn);
    assert.equal(disconnects.watching("solo"), 1, "the same watcher twice is one");
    disconnects.watch("many", conn);
    disconnects.watch("many", fn);
    const stop = disconnects.watch("many", gone);
    assert.equal(disconnects.watching("many"), 3);
    stop();
    disconnects.unwatch("many", gone);
    assert.equal(disconnects.watching("many"), 2);

    await disconnects.disconnect("solo", "bye");
    await disconnects.disconnect("many", "bye");
    await disconnects.disconnect("nobody", "bye");
    assert.deepEqual(told, ["conn:solo:bye", "conn:many:bye", "fn:many"]);
    assert.deepEqual(ended, ["solo", "many", "nobody"]);
    assert.equal(disconnects.watching("solo") + disconnects.watching("many"), 0, "an order ends the watches");
  });

  it("forgets a user once its last watcher stops, whether it had one or several", async () => {
    const disconnects = new Disconnects(fakeHub());
    await disconnects.start();
    const told: string[] = [];
    const a = () => told.push("a");
    const b = () => told.push("b");
    disconnects.watch("u", a);
    disconnects.unwatch("u", b);
    assert.equal(disconnects.watching("u"), 1, "another watcher's unwatch leaves it");
    disconnects.unwatch("u", a);
    assert.equal(disconnects.watching("u"), 0);
    disconnects.watch("u", a);
    disconnects.watch("u", b);
    disconnects.unwatch("u", a);
    disconnects.unwatch("u", b);
    assert.equal(disconnects.watching("u"), 0);
    disconnects.watch("u", b);
    await disconnects.disconnect("u", "x");
    assert.deepEqual(told, ["b"]);
  });
});
