// kill -9 at a random moment under load, restart on the same data, and check
// guarantee 2 (nothing acknowledged is lost) and guarantee 1 (every client
// that syncs or resumes sees each message exactly once, in order) for instalk
// rooms, pubsub topics and really documents. 3 trials in `npm test`;
// SWITCHBOARD_TEST_CRASH_TRIALS=20 (npm run soak) for the long mode, with figures.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { freePort, ServerProcess } from "../helpers/server-process.js";
import { TestClient } from "../helpers/ws-client.js";

const TRIALS = Number(process.env.SWITCHBOARD_TEST_CRASH_TRIALS ?? 3);
const SETTINGS = { "limits.messagesPerSecond": 100_000, "limits.burst": 100_000 };
type Frame = { [key: string]: any };

const sockets = new Set<TestClient>();
async function open(server: ServerProcess, path: string): Promise<TestClient> {
  const c = await TestClient.connect(server.ws(path));
  sockets.add(c);
  return c;
}

/** Every frame of a socket until it closes, handed to `on`; resolves when the socket is gone. */
function pump(c: TestClient, on: (f: Frame) => void): Promise<void> {
  return (async () => {
    for (;;) {
      let f: Frame;
      try {
        f = await c.next(60_000);
      } catch {
        return;
      }
      on(f);
    }
  })();
}

/** Sends with up to `window` unanswered at once until the socket dies or `stop()` is called. */
function pipeline(send: (i: number) => void, answered: () => number, window: number): { stop: () => void; sent: () => number } {
  let i = 0;
  let stopped = false;
  const tick = setInterval(() => {
    while (!stopped && i - answered() < window) send(i++);
  }, 1);
  return { stop: () => ((stopped = true), clearInterval(tick)), sent: () => i };
}

interface Figures {
  instalkAcked: number;
  pubsubAcked: number;
  reallyAcked: number;
}

async function trial(n: number): Promise<Figures> {
  const data = await mkdtemp(join(tmpdir(), "sb-crash-"));
  const port = await freePort();
  let server = await ServerProcess.start(port, data, SETTINGS);
  try {
    // instalk: a sender and a listener in one room.
    const room = `crash-${process.pid}-${n}`;
    const sender = await open(server, "/websocket");
    const listener = await open(server, "/websocket");
    for (const c of [sender, listener]) {
      c.send({ v: "0.1" });
      await c.waitFor((f) => f.welcome === 1);
      c.send({ r: room, o: "join" });
      await c.waitFor((f) => f.o === "room-welcome");
    }
    const instalkAcked = new Map<string, number>();
    const heard: number[] = [];
    const sending = pump(sender, (f) => f.o === "msg" && f.data?.body && instalkAcked.set(f.data.body, f.data.nr));
    const listening = pump(listener, (f) => f.o === "msg" && heard.push(f.data.nr));
    const talk = pipeline((i) => sender.send({ r: room, o: "msg", data: { body: `m${i}` } }), () => instalkAcked.size, 8);

    // pubsub: a live subscriber and a publisher on one topic.
    const topic = `crash.${process.pid}.${n}`;
    const sub = await open(server, "/pubsub");
    sub.send({ op: "connect", type: "request", id: "c", auth: { provider: "anonymous" } });
    const session = (await sub.waitFor((f) => f.id === "c")).session as string;
    sub.send({ op: "sub", type: "request", id: "s", topics: [topic] });
    await sub.waitFor((f) => f.id === "s");
    const pub = await open(server, "/pubsub");
    pub.send({ op: "connect", type: "request", id: "c", auth: { provider: "anonymous" } });
    await pub.waitFor((f) => f.id === "c");
    const pubsubAcked = new Set<number>();
    const got: Array<{ id: string; data: number }> = [];
    const publishing = pump(pub, (f) => f.op === "pub" && f.type === "success" && pubsubAcked.add(Number(String(f.id).slice(1))));
    const receiving = pump(sub, (f) => f.op === "mesg" && got.push({ id: f.id, data: f.data }));
    const feed = pipeline((i) => pub.send({ op: "pub", type: "request", id: `p${i}`, topics: [topic], data: i }), () => pubsubAcked.size, 8);

    // really: one document updated revision after revision.
    const anon = (await (await fetch(`${server.url}/auth/anonymous/`, { method: "POST" })).json()) as { accessToken: string };
    const writer = await open(server, "/v0.1/socket");
    writer.send({ tag: 1, cmd: "initialize", accessToken: anon.accessToken });
    await writer.waitFor((f) => f.tag === 1);
    writer.send({ tag: 2, cmd: "create", r: "/notes/", body: { items: [] } });
    const doc = (await writer.waitFor((f) => f.tag === 2)).r as string;
    let rev = 1;
    let reallyAcked = 0;
    const writing = (async () => {
      for (let tag = 3; ; tag++) {
        writer.send({ tag, cmd: "update", r: doc, rev, body: { ops: [{ op: "push", key: "items", value: rev }] } });
        let reply: Frame;
        try {
          reply = await writer.waitFor((f) => f.tag === tag, 60_000);
        } catch {
          return;
        }
        assert.equal(reply.error, undefined, JSON.stringify(reply));
        rev = reply.rev as number;
        reallyAcked = rev;
      }
    })();

    // Load for a random while, then the plug is pulled.
    await new Promise((r) => setTimeout(r, 300 + Math.random() * 1200));
    await server.kill("SIGKILL");
    talk.stop();
    feed.stop();
    await Promise.all([sending, listening, publishing, receiving, writing]);

    server = await ServerProcess.start(port, data, SETTINGS);

    // instalk: every acknowledged message stored with its nr, gapless; the listener syncs the rest, once.
    const back = await open(server, "/websocket");
    back.send({ v: "0.1" });
    await back.waitFor((f) => f.welcome === 1);
    back.send({ r: room, o: "join" });
    await back.waitFor((f) => f.o === "room-welcome");
    const stored: Frame[] = [];
    for (let more = true; more; ) {
      back.send({ r: room, o: "sync", data: { from: stored.length + 1 } });
      const page = (await back.waitFor((f) => f.o === "sync")).data as Frame;
      stored.push(...page.messages);
      more = page.more;
    }
    const nrs = stored.map((m) => m.data.nr as number);
    assert.deepEqual(nrs, Array.from({ length: nrs.length }, (_, i) => i + 1), "gapless, no duplicate");
    const byBody = new Map(stored.map((m) => [m.data.body as string, m.data.nr as number]));
    for (const [body, nr] of instalkAcked) assert.equal(byBody.get(body), nr, `acknowledged ${body} kept its nr`);
    const lastHeard = heard.length > 0 ? heard[heard.length - 1] : 0;
    assert.deepEqual(heard, Array.from({ length: heard.length }, (_, i) => i + 1), "the listener heard them in order, once");
    back.send({ r: room, o: "sync", data: { from: lastHeard + 1 } });
    const synced = ((await back.waitFor((f) => f.o === "sync")).data as Frame).messages.map((m: Frame) => m.data.nr as number);
    assert.deepEqual([...heard, ...synced], nrs.slice(0, heard.length + synced.length), "live + synced = every message, once, in order");

    // pubsub: resumed with `received`, the subscriber gets each message it had not seen, once, in order.
    const again = await open(server, "/pubsub");
    const received = got.length > 0 ? { received: { [topic]: got[got.length - 1].id } } : {};
    again.send({ op: "resume", type: "request", id: "r", session, ...received });
    const resumed = await again.waitFor((f) => f.id === "r");
    assert.equal(resumed.type, "success", JSON.stringify(resumed));
    const replay: number[] = [];
    again.send({ op: "pub", type: "request", id: "fence", topics: [topic], data: -1 });
    for (;;) {
      const f = (await again.waitFor((x) => x.op === "mesg")) as Frame;
      if (f.data === -1) break;
      replay.push(f.data);
    }
    const all = [...got.map((g) => g.data), ...replay];
    assert.equal(new Set(all).size, all.length, `no message twice (saw ${all.length}, ${all.length - new Set(all).size} duplicates)`);
    assert.deepEqual(all, [...all].sort((a, b) => a - b), "in order");
    for (const i of pubsubAcked) assert.ok(all.includes(i), `acknowledged publish ${i} reached the subscriber`);

    // really: every acknowledged revision is there.
    const reader = await open(server, "/v0.1/socket");
    reader.send({ tag: 1, cmd: "initialize", accessToken: anon.accessToken });
    await reader.waitFor((f) => f.tag === 1);
    reader.send({ tag: 2, cmd: "get", r: doc });
    const kept = (await reader.waitFor((f) => f.tag === 2)) as Frame;
    assert.ok((kept.rev as number) >= reallyAcked, `rev ${kept.rev} holds acknowledged rev ${reallyAcked}`);
    assert.deepEqual(kept.body.items, Array.from({ length: (kept.rev as number) - 1 }, (_, i) => i + 1));
    return { instalkAcked: instalkAcked.size, pubsubAcked: pubsubAcked.size, reallyAcked };
  } finally {
    for (const c of sockets) c.terminate();
    sockets.clear();
    await server.kill("SIGKILL");
    await rm(data, { recursive: true, force: true });
  }
}

describe(`crash durability: kill -9 under load, ${TRIALS} trials`, () => {
  const figures: Figures[] = [];
  after(() => {
    const sum = (k: keyof Figures) => figures.reduce((s, f) => s + f[k], 0);
    console.log(`crash trials: ${figures.length}; acknowledged and found after restart: instalk ${sum("instalkAcked")}, pubsub ${sum("pubsubAcked")}, really revisions ${sum("reallyAcked")}`);
  });
  for (let n = 1; n <= TRIALS; n++) {
    it(`trial ${n}: nothing acknowledged lost, every resumed/synced client sees each message once`, async () => {
      figures.push(await trial(n));
    });
  }
});
