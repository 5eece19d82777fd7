// Baseline (b): `ws` with the two tricks the design asks of Switchboard. Each
// message is framed once into a complete WebSocket frame shared by every
// recipient; frames are queued per socket and written once per event-loop turn.
import { createServer } from "node:http";
import type { Socket } from "node:net";
import { WebSocketServer } from "ws";

interface Peer {
  readonly socket: Socket;
  queue: Buffer[];
}

const port = Number(process.argv[2]);
const rooms = new Map<string, Set<Peer>>();
const dirty = new Set<Peer>();
let scheduled = false;

/** An unmasked server-to-client text frame (FIN + opcode 1) around `payload`. */
function textFrame(payload: Buffer): Buffer {
  const n = payload.length;
  const head = n < 126 ? 2 : n < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(head + n);
  frame[0] = 0x81;
  if (n < 126) frame[1] = n;
  else if (n < 65536) {
    frame[1] = 126;
    frame.writeUInt16BE(n, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(n), 2);
  }
  payload.copy(frame, head);
  return frame;
}

function flush(): void {
  scheduled = false;
  for (const peer of dirty) {
    const batch = peer.queue;
    peer.queue = [];
    if (batch.length === 1) peer.socket.write(batch[0]);
    else {
      peer.socket.cork();
      for (const frame of batch) peer.socket.write(frame);
      peer.socket.uncork();
    }
  }
  dirty.clear();
}

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
        dirty.delete(self);
      });
    }
    ws.on("message", (data: Buffer) => {
      const frame = textFrame(data);
      for (const peer of members) {
        peer.queue.push(frame);
        dirty.add(peer);
      }
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    });
  });
});
server.listen(port, "127.0.0.1");
