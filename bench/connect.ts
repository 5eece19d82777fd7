import type { WebSocket } from "ws";
import { inParallel, open, type Role } from "./clients.js";
import type { Contestant } from "./contestants.js";

/** Opens `count` clients of one contestant and completes each one's handshake. */
export function connectMany(c: Contestant, port: number, role: Role, count: number, room: (i: number) => string): Promise<WebSocket[]> {
  return inParallel(count, async (i) => {
    const ws = await open(c.url(port, role, room(i)));
    ws.on("error", () => undefined); // a reset during teardown is not a result
    c.keepAlive?.(ws);
    await c.handshake(ws, role, room(i));
    return ws;
  });
}
