// A news feed with presence, with the pubsub client: a reader follows a topic
// and who is on it; a publisher comes, posts three headlines and goes.
//   npx tsx examples/pubsub-feed.ts     (SWITCHBOARD_URL=http://host:4040 for another server)
// In your own project: import { PubsubClient } from "switchboard/client/pubsub";
import { PubsubClient } from "../src/client/pubsub.js";

const url = process.env.SWITCHBOARD_URL ?? "http://localhost:4040";
const topic = `news.${Date.now().toString(36)}`;

const reader = new PubsubClient({ url, auth: { provider: "anonymous" } });
const desk = new PubsubClient({ url, auth: { provider: "anonymous" } });
await Promise.all([reader.connect(), desk.connect()]);

let count = 0;
const allThree = new Promise<void>((resolve) =>
  reader.on("message", (m) => {
    console.log(`reader got  ${JSON.stringify(m.data)} from ${m.sender.name}`);
    if (++count === 3) resolve();
  }),
);
reader.on("presence", (p) => console.log(`presence    ${p.user.name} ${p.type === "join" ? "joined" : "left"}`));
const { members } = await reader.subscribe([topic, `${topic}/presence`]);
console.log(`members     ${members?.map((u) => u.name).join(", ")}`);

await desk.subscribe(topic);
for (const headline of ["Markets calm", "Rain at noon", "Team wins"]) await desk.publish(topic, { headline });
await allThree;
const left = reader.next("presence", { filter: (p) => p.type === "leave" });
await desk.unsubscribe(topic);
await left;
console.log(`on the feed ${reader.members(topic).length} now`);
reader.close();
desk.close();
