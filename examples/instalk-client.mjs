// The README's first client: join a room, say hello, print what arrives.
import WebSocket from "ws";
const ws = new WebSocket(process.env.SWITCHBOARD_URL ?? "ws://localhost:4040/websocket");
ws.on("open", () => ws.send(JSON.stringify({ v: "0.1" })));
ws.on("message", (data) => {
  const frame = JSON.parse(data.toString());
  console.log(JSON.stringify(frame));
  if (frame.welcome) ws.send(JSON.stringify({ r: "lobby", o: "join" }));
  if (frame.o === "room-welcome") ws.send(JSON.stringify({ r: "lobby", o: "msg", data: { body: "hello" } }));
  if (frame.o === "msg") ws.close();
});
