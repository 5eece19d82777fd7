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
export async function idle(c: Contestant, server: ServerChild, count: number): Promise<IdleResult> {
  await settle();
  const before = rssBytes(server.pid);
  const clients = await connectMany(c, server.port, "sub", count, (i) => `idle-${Math.floor(i / ROOM_SIZE)}`);
  try {
    await settle();
    const after = rssBytes(server.pid);
    return { connections: count, rssBeforeBytes: before, rssAfterBytes: after, kibPerConnection: (after - before) / count / 1024 };
  } finally {
    closeAll(clients);
  }
}
