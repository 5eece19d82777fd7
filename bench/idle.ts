import { performance } from "node:perf_hooks";
import { closeAll } from "./clients.js";
import { connectMany } from "./connect.js";
import type { ServerChild } from "./child.js";
import type { Contestant } from "./contestants.js";
import { rssBytes } from "./proc.js";

export interface IdleResult {
  connections: number;
  rssBeforeBytes: number;
  rssAfterBytes: number;
  kibPerConnection: number;
  /** Time to open and hand-shake every connection. */
  connectSeconds: number;
}

/** What a caller (the idle scenario) does around the measurement; RSS is read outside all of them. */
export interface IdleHooks {
  /** After the server has settled, before RSS is first read (e.g. a baseline heap snapshot); another settle follows. */
  beforeConnect?: () => Promise<void>;
  /** Right after each RSS read (e.g. the server's own heap figures, read at the same moment). */
  atRead?: (phase: "before" | "after") => Promise<void>;
  /** Once the connections are open and RSS was read, before they are dropped. */
  afterMeasure?: (connectStarted: number, connectEnded: number) => Promise<void>;
}

/** Rooms of this many members: enough to count room state, small enough that joins are not O(n²) in one room. */
const ROOM_SIZE = 50;
const SETTLE_MS = 1_500;

const settle = () => new Promise((resolve) => setTimeout(resolve, SETTLE_MS));

/**
 * Idle memory: the server's resident memory grows by how much for K connected
 * (and, where the protocol has them, initialised and joined) clients that then
 * say nothing. Read from /proc, so the server needs no instrumentation.
 */
export async function idle(c: Contestant, server: ServerChild, count: number, hooks: IdleHooks = {}): Promise<IdleResult> {
  await settle();
  if (hooks.beforeConnect) {
    await hooks.beforeConnect();
    await settle();
  }
  const before = rssBytes(server.pid);
  await hooks.atRead?.("before");
  const t0 = performance.now();
  const clients = await connectMany(c, server.port, "sub", count, (i) => `idle-${Math.floor(i / ROOM_SIZE)}`);
  const t1 = performance.now();
  try {
    await settle();
    const after = rssBytes(server.pid);
    await hooks.atRead?.("after");
    await hooks.afterMeasure?.(t0, t1);
    return {
      connections: count, rssBeforeBytes: before, rssAfterBytes: after, kibPerConnection: (after - before) / count / 1024,
      connectSeconds: (t1 - t0) / 1000,
    };
  } finally {
    closeAll(clients);
  }
}
