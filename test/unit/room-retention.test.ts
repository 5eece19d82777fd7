// The retention answer Rooms caches (a relay room keeps no content): a read
// that began before the room was marked cannot take the mark back, and a
// sender's posts are appended in call order however many ticks apart they
// come, while the room's record is being read or not. A real SQLite store,
// whose room reads are held back to let the races happen.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { Hub } from "../../src/core/hub.js";
import { Presence } from "../../src/core/presence.js";
import { RoomAccess } from "../../src/core/room-access.js";
import { RoomRefusal } from "../../src/core/room-records.js";
import { Rooms } from "../../src/core/rooms.js";
import { LocalBroker } from "../../src/engine/broker/local/index.js";
import type { RoomRecord, Store } from "../../src/engine/store/types.js";
import { openTempSqlite } from "../contract/sqlite-temp.js";

const cleanups: Array<() => Promise<void>> = [];
after(async () => {
  for (const c of cleanups) await c();
});

/** Rooms over a real store whose room reads wait until `release` is called (the first `held` of them). */
async function setup(held: number, now: () => number = Date.now) {
  const handle = await openTempSqlite();
  cleanups.push(() => handle.cleanup());
  const real = handle.store;
  const waiting: Array<() => void> = [];
  let left = 0;
  const store: Store = {
    ...real,
    rooms: {
      ...real.rooms,
      get: async (id: string): Promise<RoomRecord | null> => {
        const snapshot = await real.rooms.get(id);
        if (left-- > 0) await new Promise<void>((resolve) => waiting.push(resolve));
        return snapshot;
      },
    },
  };
  const broker = new LocalBroker({ nodeId: "n1" });
  const hub = new Hub(broker, (channel, from, to) => real.history.read(channel, { from, before: to, limit: to - from, take: "oldest" }), (c) => real.history.lastSeq(c));
  await hub.start();
  cleanups.push(async () => {
    hub.stop();
    await broker.close();
  });
  const rooms = new Rooms(store, hub, new Presence(broker.presence, "n1"), new RoomAccess(store, hub), now);
  await rooms.start();
  await rooms.open("r");
  // From here on the next `held` room reads wait.
  left = held;
  const release = () => waiting.splice(0).forEach((go) => go());
  return { rooms, real, release, waitingCount: () => waiting.length };
}

const sender = { id: "u", name: "u" };
const bodies = async (real: Store) => (await real.history.read("room:r", { limit: 100, take: "oldest" })).map((e) => e.data.body);

describe("room retention cache", () => {
  it("a read begun before the room was marked does not let content in after the mark", async () => {
    const { rooms, real, release, waitingCount } = await setup(1);
    const early = rooms.post("r", sender, "msg", { body: "early" });
    while (waitingCount() === 0) await new Promise((r) => setImmediate(r));
    await rooms.markUnstored("r");
    release();
    await assert.rejects(early, RoomRefusal, "the post waiting on the old read is refused too");
    await assert.rejects(rooms.post("r", sender, "msg", { body: "later" }), RoomRefusal);
    assert.deepEqual(await bodies(real), []);
  });

  it("a sender's posts are stored in call order, whatever ticks separate them", async () => {
    for (let gap = 0; gap < 8; gap++) {
      let clock = 1_000_000;
      const { rooms, real, release, waitingCount } = await setup(1, () => clock);
      // While the room's record is being read (held back).
      const a = rooms.post("r", sender, "msg", { body: `a${gap}` });
      for (let i = 0; i < gap; i++) await Promise.resolve();
      const b = rooms.post("r", sender, "msg", { body: `b${gap}` });
      while (waitingCount() === 0) await new Promise((r) => setImmediate(r));
      release();
      await Promise.all([a, b]);
      // With the answer cached.
      const c = rooms.post("r", sender, "msg", { body: `c${gap}` });
      for (let i = 0; i < gap; i++) await Promise.resolve();
      const d = rooms.post("r", sender, "msg", { body: `d${gap}` });
      await Promise.all([c, d]);
      // With the cached answer gone stale: the first post reads again (answered at once), the next comes while it does.
      clock += 60_000;
      const e = rooms.post("r", sender, "msg", { body: `e${gap}` });
      for (let i = 0; i < gap; i++) await Promise.resolve();
      const f = rooms.post("r", sender, "msg", { body: `f${gap}` });
      await Promise.all([e, f]);
      assert.deepEqual(await bodies(real), ["a", "b", "c", "d", "e", "f"].map((x) => `${x}${gap}`), `gap ${gap}`);
    }
  });
});
