// A chat with the instalk client: two people in one room.
//   npx tsx examples/chat.ts            (SWITCHBOARD_URL=http://host:4040 for another server)
// In your own project: import { InstalkClient } from "switchboard/client/instalk";
import { InstalkClient } from "../src/client/instalk.js";

const url = process.env.SWITCHBOARD_URL ?? "http://localhost:4040";
const room = `example-${Date.now().toString(36)}`;

const ada = new InstalkClient({ url, name: `Ada-${process.pid}` });
const bob = new InstalkClient({ url, name: `Bob-${process.pid}` });
await Promise.all([ada.connect(), bob.connect()]);
await ada.join(room);

// Every stored event of the room reaches each client once and in order, across reconnects too.
bob.on("message", ({ event }) => console.log(`bob sees   #${event.data.nr} ${event.data.body}`));
ada.on("members", ({ members }) => console.log(`ada's room: ${members.map((m) => m.username).join(", ") || "nobody else"}`));
ada.on("signal", ({ signal }) => signal === "bt" && console.log("ada sees   bob typing…"));

await bob.join(room);
const reply = ada.next("message", { filter: (m) => !ada.isOwn(m.event.data.sid) });
await ada.send(room, "hello bob");
bob.typing(room, true);
await bob.send(room, "hi ada!");
console.log(`ada hears  ${(await reply).event.data.body}`);

// Scroll-back: the events before nr 3, oldest first.
console.log(`history    ${(await ada.load(room, 3)).map((e) => e.o).join(", ")}`);
ada.close();
bob.close();
