// A game lobby with the fuse client: a host opens a room, a guest finds it
// and joins, they chat and exchange game data.
//   npx tsx examples/fuse-lobby.ts      (SWITCHBOARD_URL=http://host:4040 for another server)
// In your own project: import { FuseClient, registerFuse } from "switchboard/client/fuse";
import { FuseClient, registerFuse } from "../src/client/fuse.js";

const url = process.env.SWITCHBOARD_URL ?? "http://localhost:4040";
const tag = Date.now().toString(36);

// Registration answers with the user's key: keep it, it logs the user in.
const players = await Promise.all(
  ["host", "guest"].map(async (role) => {
    const name = `${role}${tag}`;
    const { key } = await registerFuse(url, name);
    const client = new FuseClient({ url, name, key });
    await client.connect();
    return client;
  }),
);
const [host, guest] = players;

host.on("here", (h) => console.log(`host sees   ${h.name} arrive`));
guest.on("text", (t) => console.log(`guest hears ${t.from}: ${t.text}`));
guest.on("sent", (d) => console.log(`guest gets  data ${d.data}`));

await host.createRoom("race", 4);
const open = await guest.rooms();
console.log(`open rooms  ${open.filter((r) => r.name === host.name).map((r) => `${r.name} (${r.type}, ${r.size})`).join(", ")}`);
const arrived = host.next("here");
await guest.join(host.name);
await arrived;
// Chat is stored and game data only relayed: they travel apart, so wait for each.
const heard = Promise.all([guest.next("text"), guest.next("sent")]);
await host.chat("ready?");
await host.send("start:3");
await heard;
console.log(`players     ${await host.info("user")} online`);
await guest.logout();
await host.logout();
