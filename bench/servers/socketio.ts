// Contestant (d): Socket.IO with its default in-memory adapter, WebSocket
// transport only (no long-polling upgrade dance), no compression.
import { createServer } from "node:http";
import { Server } from "socket.io";

const port = Number(process.argv[2]);
const http = createServer();
const io = new Server(http, { transports: ["websocket"], serveClient: false, perMessageDeflate: false, httpCompression: false });

io.on("connection", (socket) => {
  const { role, room } = socket.handshake.query;
  const name = typeof room === "string" ? room : "bench";
  if (role !== "pub") void socket.join(name);
  socket.on("msg", (message: unknown) => io.to(name).emit("msg", message));
});
http.listen(port, "127.0.0.1");
