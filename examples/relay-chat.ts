// A chat that the server never stores, with the relay client: session keys,
// a room named by a UUID, a message and its read receipt.
//   npx tsx examples/relay-chat.ts      (SWITCHBOARD_URL=http://host:4040 for another server)
// In your own project: import { RelayClient } from "switchboard/client/relay";
import { randomUUID } from "node:crypto";
import { RelayClient } from "../src/client/relay.js";

const url = process.env.SWITCHBOARD_URL ?? "http://localhost:4040";
const room = randomUUID();

// Each client makes its own session key (POST /api/sessions) and keeps it for its reconnects.
const kim = new RelayClient({ url, credentials: { anonymous: true } });
const lee = new RelayClient({ url, credentials: { anonymous: true } });
await Promise.all([kim.connect(), lee.connect()]);

await kim.enter(room);
const entered = kim.next("presence");
await lee.enter(room);
console.log(`kim sees    someone ${(await entered).type} the room`);

const heard = lee.next("message");
await kim.send(room, "this is never written to disk");
const m = await heard;
console.log(`lee got     #${m.message_id} "${m.content}"`);
const receipt = kim.next("read");
await lee.markRead(room, m.message_id);
console.log(`kim sees    read receipt for #${(await receipt).message_id}`);
kim.close();
lee.close();
