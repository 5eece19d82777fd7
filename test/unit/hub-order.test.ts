import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Hub } from "../../src/core/hub.js";
import { OutFrame, type CoreEvent, type Subscriber } from "../../src/core/types.js";
import { LocalBroker } from "../../src/engine/broker/local/index.js";
import type { StoredEvent } from "../../src/engine/store/types.js";

const CHANNEL = "room:order";

function stored(seq: number): StoredEvent {
  return { stream: CHANNEL, seq, type: "msg", time: seq, sender: { id: "u", name: "u" }, data: { n: seq } };
}

const live = (seq: number): CoreEvent => ({ ...stored(seq), channel: CHANNEL });

function recorder(): Subscriber & { seen: number[] } {
  const seen: number[] = [];
  return {
    seen,
    connId: "c1",
    user: { id: "reader", name: "reader" },
    renderer: { render: (e: CoreEvent) => String(e.seq) },
    deliver: (f: OutFrame) => seen.push(Number(f.text)),
  };
}

async function until(check: () => boolean, ms = 2000): Promise<void> {
  for (const end = Date.now() + ms; !check(); ) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * A fleet's broker may hand a node publishes from different nodes out of seq
 * order; the hub must deliver each stored event once, in order, filling gaps
 * from the store. The local broker publishes whatever order it is given, so it
 * stands in for that reordering here.
 */
describe("hub: per-channel order over a reordering broker", () => {
  it("a joiner whose snapshot ended at 4 gets 5 then 6 when the broker delivers 6 first", async () => {
    const broker = new LocalBroker();
    const hub = new Hub(broker, async () => []);
    await hub.start();
    const sub = recorder();
    const attachment = await hub.attach(CHANNEL, sub, true);
    attachment.release(4);
    await broker.publish(live(6));
    await broker.publish(live(5));
    await until(() => sub.seen.length === 2);
    assert.deepEqual(sub.seen, [5, 6]);
    await broker.close();
  });

  it("a gap that outlives the wait is filled from the store, in order, once", async () => {
    const broker = new LocalBroker();
    const hub = new Hub(broker, async (_c, from, to) => [stored(6), stored(7)].filter((e) => e.seq >= from && e.seq < to));
    await hub.start();
    const sub = recorder();
    (await hub.attach(CHANNEL, sub, true)).release(4);
    await broker.publish(live(5));
    await broker.publish(live(8)); // 6 and 7 never come through the broker
    await until(() => sub.seen.length === 4);
    assert.deepEqual(sub.seen, [5, 6, 7, 8]);
    await broker.publish(live(7)); // a late duplicate
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(sub.seen, [5, 6, 7, 8]);
    await broker.close();
  });

  it("a store that fails to answer is asked again: nothing durable is skipped", async () => {
    const broker = new LocalBroker();
    let calls = 0;
    const hub = new Hub(broker, async (_c, from, to) => {
      if (++calls === 1) throw new Error("store busy");
      return [stored(2)].filter((e) => e.seq >= from && e.seq < to);
    });
    await hub.start();
    const sub = recorder();
    (await hub.attach(CHANNEL, sub, true)).release(0);
    await broker.publish(live(1));
    await broker.publish(live(3));
    await until(() => sub.seen.length === 3);
    assert.deepEqual(sub.seen, [1, 2, 3]);
    assert.ok(calls >= 2);
    await broker.close();
  });
});
