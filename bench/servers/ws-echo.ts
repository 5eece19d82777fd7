// The durable scenario's floor without a store: a raw `ws` server that speaks
// just enough instalk for the bench's senders (init, join, msg) and answers
// each msg with the echo Switchboard would send — parsed, numbered, rendered,
// framed, and written once per socket per event-loop turn as Switchboard
// writes — but stores nothing and checks nothing. Its server CPU per message
// is what the WebSocket round trip alone costs on this machine.
import { createServer } from "node:http";
import type { Socket } from "node:net";
import { WebSocketServer } from "ws";
import { enqueue, forget, textFrame, type Peer } from "./frame.js";

interface Echoing extends Peer {
  /** Each bench sender is alone in its room: a counter per socket is the room's nr. */
  nr: number;
}

const port = Number(process.argv[2]);
const send = (peer: Peer, text: string) => enqueue(peer, textFrame(Buffer.from(text)));

const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, clientTracking: false });
const server = createServer();
server.on("upgrade", (req, socket: Socket, head: Buffer) => {
  wss.handleUpgrade(req, socket, head, (ws) => {
    const peer: Echoing = { socket, queue: [], nr: 0 };
    ws.on("close", () => forget(peer));
    ws.on("message", (data: Buffer) => {
      const frame = JSON.parse(data.toString("utf8")) as { v?: string; r?: string; o?: string; data?: { body?: unknown } };
      if (frame.v !== undefined) return send(peer, '{"welcome":1,"user":{"id":"echo","username":"Guest-1","color":"#22BBFF","verified":false}}');
      const r = JSON.stringify(frame.r);
      if (frame.o === "join") return send(peer, `{"r":${r},"o":"room-welcome","data":{"members":[],"messages":[],"topic":""}}`);
      if (frame.o !== "msg") return;
      peer.nr++;
      const time = new Date().toISOString();
      send(peer, `{"r":${r},"o":"msg","data":{"nr":${peer.nr},"time":{"$date":"${time}"},"sid":"echo","body":${JSON.stringify(frame.data?.body)},"mentions":[],"attachments":[]}}`);
    });
  });
});
server.listen(port, "127.0.0.1");
