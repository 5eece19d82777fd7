import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { FuseClient, registerFuse, type FuseOptions } from "../../src/client/fuse.js";
import { quickReconnect, RestartableServer, trackedWebSocket, until } from "../helpers/client-kit.js";

let names = 0;
const newName = () => `c${process.pid.toString(36)}x${(++names).toString(36)}`;

describe("fuse client", () => {
  let s: RestartableServer;
  const clients: FuseClient[] = [];
  /** A registered user's client, logged in. */
  const user = async (opts: Partial<FuseOptions> = {}) => {
    const name = newName();
    const { key } = await registerFuse(s.url, name);
    const c = new FuseClient({ url: s.url, name, key, reconnect: quickReconnect, ...opts });
    clients.push(c);
    await c.connect();
    return c;
  };
  /** The texts one client heard from `from`, in order. */
  const texts = (c: FuseClient, from: string) => {
    const out: string[] = [];
    c.on("text", (t) => t.from === from && out.push(t.text));
    return out;
  };

  before(async () => {
    s = await RestartableServer.start();
  });
  after(async () => {
    for (const c of clients) c.close();
    await s.dispose();
  });

  it("registers, logs in with a key or a pass, and plays: rooms, chat, whispers, records, refusals", async () => {
    const withPass = newName();
    await registerFuse(s.url, withPass, { pass: "secret pass" });
    const ann = new FuseClient({ url: s.url, name: withPass, pass: "secret pass", reconnect: quickReconnect });
    clients.push(ann);
    await ann.connect();
    const bob = await user();

    const made = bob.next("made", { filter: (m) => m.name === ann.name });
    await ann.createRoom("race", 4);
    assert.deepEqual(await made, { type: "made", name: ann.name, roomType: "race", size: 4 });
    assert.ok((await bob.rooms()).some((r) => r.name === ann.name && r.type === "race"));

    const here = ann.next("here", { filter: (h) => h.name === bob.name });
    await bob.join(ann.name);
    await here;
    assert.equal(bob.where, ann.name);

    const heard = texts(bob, ann.name);
    await ann.chat("go | go | go");
    await until(() => heard.length === 1, "the chat line");
    assert.deepEqual(heard, ["go | go | go"]);
    const whisper = ann.next("text", { filter: (t) => t.from === bob.name });
    await bob.whisper(ann.name, "psst");
    assert.equal((await whisper).text, "psst");

    const sent = bob.next("sent");
    await ann.send("state:42");
    assert.deepEqual(await sent, { type: "sent", from: ann.name, data: "state:42" });

    const { id } = await ann.save("scores", { best: 12 });
    assert.deepEqual(await bob.load("scores", id), { best: 12 });
    assert.match(await ann.time(), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);

    await assert.rejects(bob.join(ann.name), (e: Error & { code?: string }) => e.code === "already in room");
    await bob.quit();
    await assert.rejects(bob.join("nobodyhere"), (e: Error & { code?: string }) => e.code === "room not found");
    await assert.rejects(new FuseClient({ url: s.url, name: withPass, pass: "wrong", reconnect: false }).connect(), (e: Error & { code?: string }) => e.code === "wrong pass");
  });

  it("a server restart mid-game: both players log in again by themselves, are told they are back in the lobby, and talk on", async () => {
    const host = await user();
    const guest = await user();
    await host.createRoom("duel", 2);
    await guest.join(host.name);
    const told = [host, guest].map((c) => c.next("recovery-failed", { timeoutMs: 30_000 }));
    await s.restart();
    const [h, g] = await Promise.all(told);
    assert.equal(h.wasIn, host.name);
    assert.equal(g.wasIn, host.name);
    assert.equal(h.error.code, "fuse.no-session");
    await until(() => host.state === "open" && guest.state === "open", "both back");
    assert.equal(host.where, "lobby");
    const heard = texts(guest, host.name);
    await host.chat("again?");
    await until(() => heard.length === 1, "chat after the restart");
    assert.deepEqual(heard, ["again?"]);
  });

  it("a network cut in the middle of a burst: in order, none twice, logged in again and told what fuse cannot replay", async () => {
    const net = trackedWebSocket();
    const talker = await user();
    const listener = await user({ WebSocket: net.WebSocket });
    const heard = texts(listener, talker.name);
    const told = listener.next("recovery-failed", { timeoutMs: 30_000 });
    const sending = Promise.all(Array.from({ length: 60 }, (_, i) => talker.chat(`t${i + 1}`)));
    await until(() => heard.length >= 10, "the burst under way");
    net.cut();
    await sending;
    assert.equal((await told).wasIn, "lobby");
    await until(() => listener.state === "open", "the listener back");
    await talker.chat("after");
    await until(() => heard.at(-1) === "after", "the line after the burst");
    const numbers = heard.slice(0, -1).map((t) => Number(t.slice(1)));
    assert.deepEqual(numbers, [...numbers].sort((a, b) => a - b), "in order");
    assert.equal(new Set(numbers).size, numbers.length, "none twice");
  });

  it("over HTTP push and pull: talks with a WebSocket user, opens a broken pull again, logs in again after a restart", async () => {
    const name = newName();
    const { key } = await registerFuse(s.url, name);
    const web = new FuseClient({ url: s.url, name, key, transport: "http", reconnect: quickReconnect });
    clients.push(web);
    await web.connect();
    const ws = await user();
    const heard = texts(web, ws.name);
    await ws.chat("over the pull?");
    await until(() => heard.length === 1, "a line down the pull");
    assert.equal(await web.info("user") >= 2, true);

    // A pull cut in the middle of a burst: the next pull picks up the lines the server held meanwhile;
    // the ones already on their way down the dead pull are gone, and the app is told so.
    const cutTold = web.next("recovery-failed", { timeoutMs: 30_000 });
    const sending = Promise.all(Array.from({ length: 40 }, (_, i) => ws.chat(`p${i + 1}`)));
    await until(() => heard.length >= 5, "the burst under way");
    web.reconnectNow();
    assert.deepEqual({ ...(await cutTold), error: (await cutTold).error.code }, { wasIn: "lobby", error: "fuse.lines-lost" });
    await sending;
    await ws.chat("end of burst");
    await until(() => heard.at(-1) === "end of burst", "the burst's end down the new pull", 30_000);
    const numbers = heard.slice(1, -1).map((t) => Number(t.slice(1)));
    assert.deepEqual(numbers, [...numbers].sort((a, b) => a - b), "in order");
    assert.equal(new Set(numbers).size, numbers.length, "none twice");

    // A pull may still reach the draining server (and say lines were lost) before the new one says the session is gone.
    const told = web.next("recovery-failed", { filter: (e) => e.error.code === "fuse.no-session", timeoutMs: 30_000 });
    await s.restart();
    assert.equal((await told).wasIn, "lobby");
    await until(() => web.state === "open" && ws.state === "open", "both back");
    const after = texts(ws, name);
    await web.chat("back over http");
    await until(() => after.length === 1, "a push after the restart");
  });
});
