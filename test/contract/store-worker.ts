// A store in an OS process of its own, racing another such process on the same
// data (see runInProcesses in store-processes.ts).
// argv: <location JSON> <job> <count> <tag>. Prints "ready", waits for a line on
// stdin (so every process starts at the same moment), runs the job with many
// operations in flight, and prints one JSON line with what it saw.
import { once } from "node:events";
import type { Store } from "../../src/engine/store/types.js";
import { openAt, type StoreLocation } from "./store-location.js";

export type Job = "append" | "ban" | "increment";

/** Operations in flight at once: enough that the group commit batches them, few enough that batches interleave with the other process's. */
const IN_FLIGHT = 200;

const [locationJson, job, countText, tag] = process.argv.slice(2) as [string, Job, string, string];
const location = JSON.parse(locationJson) as StoreLocation;
const count = Number(countText);

/** Runs `op(0..count-1)` with IN_FLIGHT lanes; each lane takes the next index when its last op settled. */
async function lanes(width: number, op: (n: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < count) await op(next++);
  };
  await Promise.all(Array.from({ length: Math.min(width, count) }, lane));
}

const jobs: Record<Job, (store: Store) => Promise<Record<string, unknown>>> = {
  /** Appends `count` events to stream "shared"; reports whether its own seqs rose in call order. */
  async append(store) {
    const seqs = new Array<number>(count);
    await lanes(IN_FLIGHT, async (n) => {
      const stored = await store.history.append("shared", { type: "message", time: Date.now(), sender: { id: tag, name: tag }, data: { tag, n } });
      seqs[n] = stored.seq;
    });
    return { increasing: seqs.every((seq, i) => i === 0 || seq > seqs[i - 1]), first: seqs[0], last: seqs[count - 1] };
  },
  /** Bans `count` users of its own in room "shared", read-change-CAS, retrying lost races. */
  async ban(store) {
    let lost = 0;
    await lanes(4, async (n) => {
      for (;;) {
        const room = await store.rooms.get("shared");
        if (!room) throw new Error("room shared is missing");
        if (await store.rooms.write({ ...room, bans: [...room.bans, `${tag}-${n}`] }, room.rev)) return;
        lost++;
      }
    });
    return { lost };
  },
  /** Adds 1 to kv c/n `count` times by compare and swap, retrying lost races. */
  async increment(store) {
    let lost = 0;
    await lanes(4, async () => {
      for (;;) {
        const current = await store.kv.get("c", "n");
        if (!current) throw new Error("counter c/n is missing");
        if (await store.kv.compareAndSet("c", "n", current, { n: (current.n as number) + 1 }, null)) return;
        lost++;
      }
    });
    return { lost };
  },
};

const store = await openAt(location);
process.stdout.write("ready\n");
await once(process.stdin, "data");
const report = await jobs[job](store);
await store.close();
process.stdout.write(`${JSON.stringify({ tag, count, ...report })}\n`);
process.stdin.destroy();
