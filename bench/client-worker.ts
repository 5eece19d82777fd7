// One client process of the join and latency scenarios (forked by
// workers.ts): opens its share of raw clients, hand-shakes them, counts the
// frames they receive, and holds them until told to close. It reports progress
// over the IPC channel, exits when the parent goes away, and never lives
// longer than MAX_LIFE_MS whatever happens.
import { RawClient } from "./raw-client.js";
import type { ToParent, ToWorker } from "./workers.js";

const MAX_LIFE_MS = 15 * 60_000;
const PROGRESS_MS = 250;

const clients: RawClient[] = [];
let opened = 0;

const tell = (msg: ToParent) => process.send?.(msg);

function bye(code: number): never {
  for (const c of clients) c.destroy();
  process.exit(code);
}

process.on("disconnect", () => bye(0));
setTimeout(() => bye(2), MAX_LIFE_MS).unref();

/** instalk: init, then join `room`; the raw servers need no handshake. */
async function handshake(c: RawClient, kind: "none" | "instalk", room: string, timeoutMs: number): Promise<void> {
  if (kind === "none") return;
  await c.until(JSON.stringify({ v: "0.1" }), '{"welcome"', timeoutMs);
  await c.until(JSON.stringify({ r: room, o: "join" }), '"o":"room-welcome"', timeoutMs);
}

async function open(msg: Extract<ToWorker, { type: "open" }>): Promise<void> {
  const t0 = performance.now();
  const progress = setInterval(() => tell({ type: "progress", opened }), PROGRESS_MS);
  let next = 0;
  let failed: Error | null = null;
  const lane = async () => {
    while (next < msg.count && failed === null) {
      const index = next++;
      const left = msg.deadline - Date.now();
      if (left <= 0) throw new Error("deadline passed");
      const c = await RawClient.open(msg.port, msg.path, left);
      clients.push(c);
      const room = msg.roomSize > 0 ? `${msg.room}-${process.pid}-${Math.floor(index / msg.roomSize)}` : msg.room;
      await handshake(c, msg.handshake, room, Math.max(1, msg.deadline - Date.now()));
      opened++;
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(msg.parallel, msg.count) }, () => lane().catch((err: unknown) => {
      failed ??= err instanceof Error ? err : new Error(String(err));
    })));
  } finally {
    clearInterval(progress);
  }
  if (failed) tell({ type: "error", message: (failed as Error).message, opened });
  else tell({ type: "opened", opened, ms: performance.now() - t0 });
}

process.on("message", (msg: ToWorker) => {
  switch (msg.type) {
    case "open":
      void open(msg);
      break;
    case "count": {
      let frames = 0;
      let closed = 0;
      for (const c of clients) {
        frames += c.frames;
        if (c.closed) closed++;
      }
      const { user, system } = process.cpuUsage();
      tell({ type: "count", frames, closed, cpuSeconds: (user + system) / 1e6 });
      break;
    }
    case "close":
      bye(0);
  }
});

tell({ type: "ready" });
