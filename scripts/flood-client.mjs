// One instalk connection that floods its room, for the flood soak
// (test/e2e/flood-latency.test.ts) and by hand:
//
//   node scripts/flood-client.mjs ws://127.0.0.1:4040/websocket <room> [framesPerSecond]
//
// It joins <room> like any client, then writes pre-built, pre-masked
// WebSocket frames straight to its socket (a zero mask: the payload goes as
// is), so the flood costs this process next to nothing and the server all it
// costs. On stdout: "flooding" once the flood has started, then one JSON line
// per second with what it sent and what came back; "closed <code> <reason>"
// when the server ends the connection. It reconnects and floods again until
// it is killed, as a determined flooder would.
import { WebSocket } from "ws";

const [url, room, rateText = "90000"] = process.argv.slice(2);
if (!url || !room) {
  process.stderr.write("usage: node scripts/flood-client.mjs <ws url> <room> [framesPerSecond]\n");
  process.exit(2);
}
const perSecond = Number(rateText);
const TICK_MS = 10;

/** A masked client text frame with a zero mask key; payloads under 126 bytes. */
function maskedFrame(text) {
  const payload = Buffer.from(text, "utf8");
  if (payload.length >= 126) throw new Error("payload too long for this flooder");
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length, 0, 0, 0, 0]), payload]);
}

const frame = maskedFrame(JSON.stringify({ r: room, o: "msg", data: { body: "flood" } }));
const perTick = Math.max(1, Math.round((perSecond * TICK_MS) / 1000));
const batch = Buffer.concat(Array.from({ length: perTick }, () => frame));

let sent = 0;
let refusals = 0;
let echoes = 0;
setInterval(() => {
  process.stdout.write(`${JSON.stringify({ sent, refusals, echoes })}\n`);
  sent = 0;
  refusals = 0;
  echoes = 0;
}, 1000).unref();

function flood() {
  const ws = new WebSocket(url);
  let timer = null;
  ws.on("open", () => ws.send(JSON.stringify({ v: "0.1" })));
  ws.on("message", (data) => {
    const text = data.toString("utf8");
    if (text.includes('"rate.limited"')) refusals++;
    else if (text.includes('"o":"msg"')) echoes++;
    if (text.includes('"welcome"')) ws.send(JSON.stringify({ r: room, o: "join" }));
    if (text.includes('"room-welcome"') && timer === null) {
      process.stdout.write("flooding\n");
      const socket = ws._socket;
      timer = setInterval(() => {
        // Only as fast as the server reads: what the kernel has not taken is not piled up here.
        if (socket.writableLength > batch.length * 4) return;
        socket.write(batch);
        sent += perTick;
      }, TICK_MS);
    }
  });
  ws.on("close", (code, reason) => {
    if (timer) clearInterval(timer);
    process.stdout.write(`closed ${code} ${reason.toString()}\n`);
    setTimeout(flood, 50);
  });
  ws.on("error", () => undefined);
}

flood();
