// Baseline (b): `ws` with the two tricks the design asks of Switchboard. Each
// message is framed once into a complete WebSocket frame shared by every
// recipient; frames are queued per socket and written once per event-loop turn.
import { createServer } from "node:http";
import type { Socket } from "node:net";
import { WebSocketServer } from "ws";
import { enqueue, forget, textFrame, type Peer } from "./frame.js";

const port = Number(process.argv[2]);
const rooms = new Map<string, Set<Peer>>();
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, clientTracking: false });
const server = createServer();
server.on("upgrade", (req, socket: Socket, head: Buffer) => {
  wss.handleUpgrade(req, socket, head, (ws) => {
    const query = new URL(req.url ?? "/", "http://localhost").searchParams;
    const name = query.get("room") ?? "bench";
    let room = rooms.get(name);
    if (!room) rooms.set(name, (room = new Set()));
    const members = room;
    const self: Peer = { socket, queue: [] };
    if (query.get("role") !== "pub") {
      members.add(self);
      ws.on("close", () => {
        members.delete(self);
        forget(self);
      });
    }
    ws.on("message", (data: Buffer) => {
      const frame = textFrame(data);
      for (const peer of members) enqueue(peer, frame);
    });
  });
});
server.listen(port, "127.0.0.1");
