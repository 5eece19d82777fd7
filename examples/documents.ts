// Live document editing with the really client: one person edits a shopping
// list, another watches it change without asking again.
//   npx tsx examples/documents.ts       (SWITCHBOARD_URL=http://host:4040 for another server)
// In your own project: import { ReallyClient } from "switchboard/client/really";
import { anonymousToken, applyUpdate, ReallyClient, type ObjectSnapshot } from "../src/client/really.js";

const url = process.env.SWITCHBOARD_URL ?? "http://localhost:4040";
// Any function that returns an access token; asked again on every reconnect.
const token = async () => (await anonymousToken(url)).accessToken;

const editor = new ReallyClient({ url, token });
const watcher = new ReallyClient({ url, token });
await Promise.all([editor.connect(), watcher.connect()]);

const list = await editor.create("/lists/", { title: "shopping", items: [] });
console.log(`created     ${list._r} rev ${list._rev}`);

// The watcher keeps a live copy: `updated` carries the changes, `snapshot` a whole new copy after a reconnect.
let copy: ObjectSnapshot = await watcher.subscribe(list._r);
watcher.on("updated", (u) => (copy = applyUpdate(copy, u.changes, u.rev)));
watcher.on("snapshot", (s) => (copy = s.body));

// Waiting starts before the edits: the last push may arrive before the editor's own reply.
const renamed = watcher.next("updated", { filter: (u) => "title" in u.changes });
let rev = list._rev;
for (const item of ["milk", "bread", "eggs"]) rev = await editor.update(list._r, rev, [{ op: "push", key: "items", value: item }]);
await editor.update(list._r, rev, [{ op: "set", key: "title", value: "weekend shopping" }]);
await renamed;
console.log(`watcher has ${JSON.stringify({ title: copy.title, items: copy.items, rev: copy._rev })}`);

// A stale revision is refused: the caller decides what to do.
await editor.update(list._r, 1, [{ op: "set", key: "title", value: "late" }]).catch((err: Error & { code: string }) => console.log(`refused     ${err.code}`));
editor.close();
watcher.close();
