// Baseline (a): the plain `ws` broadcast everyone writes first. Each message is
// sent to each socket as it arrives: ws frames it anew for every recipient and
// every send is its own socket write.
import { WebSocketServer, type WebSocket } from "ws";

const port = Number(process.argv[2]);
const rooms = new Map<string, Set<WebSocket>>();
const wss = new WebSocketServer({ host: "127.0.0.1", port, perMessageDeflate: false, clientTracking: false });

wss.on("connection", (ws, req) => {
  const query = new URL(req.url ?? "/", "http://localhost").searchParams;
  const name = query.get("room") ?? "bench";
  let room = rooms.get(name);
  if (!room) rooms.set(name, (room = new Set()));
  const members = room;
  // The publisher sends into the room without being a member of it.
  if (query.get("role") !== "pub") {
    members.add(ws);
    ws.on("close", () => members.delete(ws));
  }
  ws.on("message", (data: Buffer, isBinary: boolean) => {
    for (const peer of members) peer.send(data, { binary: isBinary });
  });
});
