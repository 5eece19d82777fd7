// Every dialect over every transport: one short scenario each — connect,
// authenticate, join or subscribe, send, receive, a bad frame refused, a
// clean close — over WebSocket, SSE + POST and long-poll, against a real
// server. A WebSocket peer in the same room is the other end of each send.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, afterEach, before, describe, it } from "node:test";
import { fleetSkipReason, startFleet, type Fleet } from "../helpers/fleet.js";
import { startFuseFleet, type FuseFleet } from "../helpers/fuse.js";
import { PollClient, SseClient } from "../helpers/http-clients.js";
import { pgReachable, pgSkipReason } from "../helpers/pg.js";
import { redisSkipReason } from "../helpers/redis.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { openWire, WIRE_KINDS, type Wire, type WireKind } from "../helpers/wires.js";

type Frame = { [key: string]: any };

let n = 0;
const unique = (prefix: string) => `${prefix}-${process.pid}-${++n}`;

async function anonymousToken(base: string): Promise<string> {
  const res = await fetch(`${base}/auth/anonymous/`, { method: "POST" });
  return ((await res.json()) as { accessToken: string }).accessToken;
}

async function sessionKey(base: string): Promise<string> {
  const res = await fetch(`${base}/api/sessions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ anonymous: true }) });
  return ((await res.json()) as { key: string }).key;
}

/** The close a wire reports after a clean goodbye: a WebSocket echoes the client's 1005 (no code), the HTTP transports say 1000. */
const cleanClose = (kind: WireKind) => (kind === "websocket" ? [1000, 1005] : [1000]);

const open: Wire[] = [];
async function wire(kind: WireKind, base: string, path: string): Promise<Wire> {
  const w = await openWire(kind, base, path);
  open.push(w);
  return w;
}

/** Each dialect's scenario, run over the wire `kind` with a WebSocket peer on the same server. */
const scenarios: Record<string, (kind: WireKind, base: string) => Promise<void>> = {
  async instalk(kind, base) {
    const token = await anonymousToken(base);
    const room = unique("matrix");
    const me = await wire(kind, base, `/websocket?token=${encodeURIComponent(token)}`);
    me.send({ v: "0.1" });
    const welcome = (await me.next()) as Frame;
    assert.equal(welcome.welcome, 1);
    me.send({ r: room, o: "join" });
    assert.equal((await me.next()).o, "room-welcome");
    const peer = await wire("websocket", base, "/websocket");
    peer.send({ v: "0.1" });
    await peer.waitFor((f) => f.welcome === 1);
    peer.send({ r: room, o: "join" });
    await peer.waitFor((f) => f.o === "room-welcome");
    me.send({ r: room, o: "msg", data: { body: `from ${kind}` } });
    const mine = (await me.waitFor((f) => f.o === "msg")) as Frame;
    assert.equal(mine.data.body, `from ${kind}`);
    assert.equal(mine.data.sid, welcome.user.id);
    assert.equal(((await peer.waitFor((f) => f.o === "msg")) as Frame).data.body, `from ${kind}`);
    peer.send({ r: room, o: "msg", data: { body: "to you" } });
    assert.equal(((await me.waitFor((f) => f.o === "msg")) as Frame).data.body, "to you");
    me.send("not json");
    assert.deepEqual(await me.next(), { error: { code: 400, msg: "json.malformed" } });
    me.send({ "heart-beat": 7 });
    assert.deepEqual(await me.next(), { "heart-beat-ack": 7 });
    me.close();
    assert.ok(cleanClose(kind).includes((await me.waitClose()).code));
  },

  async relay(kind, base) {
    const key = await sessionKey(base);
    const room = randomUUID();
    const me = await wire(kind, base, `/relay?key=${encodeURIComponent(key)}`);
    const peerKey = await sessionKey(base);
    const peer = await wire("websocket", base, `/relay?key=${encodeURIComponent(peerKey)}`);
    peer.send({ type: "enter", room_id: room });
    // A ping is a barrier: its pong comes after the answers to everything before it.
    peer.send({ type: "ping", time: 1 });
    await peer.waitFor((f) => f.type === "pong");
    me.send({ type: "enter", room_id: room });
    const entered = (await peer.waitFor((f) => f.type === "enter")) as Frame;
    me.send({ type: "message", key, content: `from ${kind}`, room_id: room });
    const mine = (await me.waitFor((f) => f.type === "message")) as Frame;
    assert.equal(mine.content, `from ${kind}`);
    assert.equal(mine.user_id, entered.user_id);
    assert.equal(((await peer.waitFor((f) => f.type === "message")) as Frame).content, `from ${kind}`);
    peer.send({ type: "message", key: peerKey, content: "to you", room_id: room });
    assert.equal(((await me.waitFor((f) => f.type === "message")) as Frame).content, "to you");
    me.send("{nope");
    assert.deepEqual(await me.next(), { type: "error", code: "frame.invalid", message: "frame is not JSON", ref: null });
    me.send({ type: "message", key: "not mine", content: "x", room_id: room });
    assert.equal(((await me.next()) as Frame).code, "key.mismatch");
    me.close();
    assert.ok(cleanClose(kind).includes((await me.waitClose()).code));
  },

  async really(kind, base) {
    const token = await anonymousToken(base);
    const room = unique("matrix");
    const me = await wire(kind, base, "/v0.1/socket");
    me.send({ tag: 1, cmd: "initialize", accessToken: token });
    assert.equal((await me.next()).evt, "initialized");
    me.send({ tag: 2, cmd: "create", r: "/rooms/", body: { name: room } });
    assert.equal((await me.next()).r, `/rooms/${room}`);
    me.send({ tag: 3, cmd: "read", r: `/rooms/${room}/messages/`, cmdOpts: { subscribe: true } });
    assert.equal((await me.next()).tag, 3);
    me.send({ tag: 4, cmd: "create", r: `/rooms/${room}/messages/`, body: { body: `from ${kind}` } });
    // The reply first, then the push it caused.
    const reply = (await me.next()) as Frame;
    assert.equal(reply.tag, 4);
    const created = (await me.next()) as Frame;
    assert.equal(created.evt, "created");
    assert.equal(created.body.body, `from ${kind}`);
    const peer = await wire("websocket", base, "/v0.1/socket");
    peer.send({ tag: 1, cmd: "initialize", accessToken: await anonymousToken(base) });
    await peer.waitFor((f) => f.evt === "initialized");
    peer.send({ tag: 2, cmd: "create", r: `/rooms/${room}/messages/`, body: { body: "to you" } });
    assert.equal(((await me.waitFor((f) => f.evt === "created")) as Frame).body.body, "to you");
    me.send({ tag: "five" });
    const bad = (await me.next()) as Frame;
    assert.equal(bad.error.code, 400);
    assert.equal(bad.error.message, "request.invalid");
    me.close();
    assert.ok(cleanClose(kind).includes((await me.waitClose()).code));
  },

  async pubsub(kind, base) {
    const token = await anonymousToken(base);
    const topic = unique("matrix").replace(/-/g, ".");
    const me = await wire(kind, base, "/pubsub");
    me.send({ op: "connect", type: "request", id: "c", auth: { provider: "switchboard", access_token: token } });
    const connected = (await me.next()) as Frame;
    assert.equal(connected.type, "success");
    me.send({ op: "sub", id: "s", topics: [topic] });
    assert.equal((await me.next()).type, "success");
    const peer = await wire("websocket", base, "/pubsub");
    peer.send({ op: "connect", id: "c", auth: { provider: "anonymous" } });
    await peer.waitFor((f) => f.op === "connect");
    peer.send({ op: "sub", id: "s", topics: [topic] });
    await peer.waitFor((f) => f.op === "sub");
    me.send({ op: "pub", id: "p", topics: [topic], data: { from: kind } });
    // The success before the publisher's own message.
    assert.deepEqual(await me.next(), { op: "pub", type: "success", id: "p" });
    const mesg = (await me.next()) as Frame;
    assert.equal(mesg.op, "mesg");
    assert.deepEqual(mesg.data, { from: kind });
    assert.equal(mesg.sender.id, connected.user.id);
    assert.deepEqual(((await peer.waitFor((f) => f.op === "mesg")) as Frame).data, { from: kind });
    peer.send({ op: "pub", id: "p", topics: [topic], data: "to you" });
    assert.equal(((await me.waitFor((f) => f.op === "mesg")) as Frame).data, "to you");
    me.send("[1,2]");
    assert.deepEqual(await me.next(), { op: null, type: "error", id: null, code: 400, message: "Bad Request: not a JSON object" });
    me.close();
    assert.ok(cleanClose(kind).includes((await me.waitClose()).code));
  },
};

describe("every dialect over every transport", () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  afterEach(() => {
    for (const w of open.splice(0)) w.terminate();
  });
  after(() => t.stop());

  for (const dialect of Object.keys(scenarios)) {
    for (const kind of WIRE_KINDS) {
      it(`${dialect} over ${kind}`, () => scenarios[dialect](kind, t.url));
    }
  }

  it("the HTTP transports refuse what the WebSocket upgrade refuses, with the same HTTP answer", async () => {
    for (const kind of ["sse", "poll"] as const) {
      await assert.rejects(openWire(kind, t.url, "/relay?key=nope"), { status: 401 });
      await assert.rejects(openWire(kind, t.url, "/v0.2/socket"), { status: 400 });
    }
  });

  it("a session id that is not one, or is over, is 404; a request without one for an existing session opens a new one", async () => {
    for (const kind of ["sse", "poll"]) {
      const res = await fetch(`${t.url}/websocket/${kind}?sid=${encodeURIComponent("bm9uZQ.xyz")}`, { method: "POST", body: "{}" });
      assert.equal(res.status, 404);
      assert.match(((await res.json()) as { reason: string }).reason, /open a new/);
    }
    const c = await PollClient.connect(`${t.url}/websocket/poll`);
    c.send({ v: "0.1" });
    assert.equal((await c.next()).welcome, 1);
    c.close();
    assert.equal((await c.waitClose()).code, 1000);
    const late = await fetch(`${t.url}/websocket/poll?sid=${encodeURIComponent(c.sid)}`, { method: "POST", body: "{}" });
    assert.ok([404, 410].includes(late.status), `status ${late.status}`);
  });

  it("the server's own close reaches an HTTP client with its code: instalk's init.required", async () => {
    for (const kind of ["sse", "poll"] as const) {
      const c = await wire(kind, t.url, "/websocket");
      c.send({ hello: 1 });
      assert.deepEqual(await c.next(), { o: "connect-failed", reason: { code: "init.required" } });
      assert.equal((await c.waitClose()).code, 1002);
    }
  });

  it("several frames in one POST are read in order, each answered in turn", async () => {
    const c = await SseClient.connect(`${t.url}/websocket/sse`);
    open.push(c);
    c.sendMany([{ v: "0.1" }, { "heart-beat": 1 }, "junk", { "heart-beat": 2 }]);
    assert.equal((await c.next()).welcome, 1);
    assert.deepEqual(await c.next(), { "heart-beat-ack": 1 });
    assert.deepEqual(await c.next(), { error: { code: 400, msg: "json.malformed" } });
    assert.deepEqual(await c.next(), { "heart-beat-ack": 2 });
  });
});

describe("HTTP transports in a fleet without sticky sessions", () => {
  let fleet: FuseFleet;
  before(async () => {
    fleet = await startFuseFleet(2);
  });
  afterEach(() => {
    for (const w of open.splice(0)) w.terminate();
  });
  after(() => fleet.stop());

  it("an SSE session's POSTs that reach another node are carried to the node holding the stream", async () => {
    const [a, b] = fleet.nodes;
    const c = await SseClient.connect(`${a.url}/websocket/sse`);
    open.push(c.via(b.url));
    c.send({ v: "0.1" });
    assert.equal((await c.next()).welcome, 1);
    c.send({ "heart-beat": 3 });
    assert.deepEqual(await c.next(), { "heart-beat-ack": 3 });
    await c.flushed();
    assert.deepEqual(c.posts, [204, 204]);
    c.close();
    assert.equal((await c.waitClose()).code, 1000);
  });

  it("a long-poll session is polled and posted to through any node, its frames in order", async () => {
    const [a, b] = fleet.nodes;
    const c = await PollClient.connect(`${a.url}/pubsub/poll`);
    open.push(c.via(b.url));
    const topic = unique("fleet").replace(/-/g, ".");
    c.send({ op: "connect", id: "c", auth: { provider: "anonymous" } });
    assert.equal((await c.next()).type, "success");
    c.send({ op: "sub", id: "s", topics: [topic] });
    assert.equal((await c.next()).type, "success");
    const peer = await wire("websocket", a.url, "/pubsub");
    peer.send({ op: "connect", id: "c", auth: { provider: "anonymous" } });
    await peer.waitFor((f) => f.op === "connect");
    for (let i = 0; i < 5; i++) peer.send({ op: "pub", id: `p${i}`, topics: [topic], data: i });
    for (let i = 0; i < 5; i++) assert.equal((await c.waitFor((f) => f.op === "mesg")).data, i);
    c.close();
    assert.equal((await c.waitClose()).code, 1000);
  });

  it("a session whose node is gone answers 404 elsewhere: the client opens a new one", async () => {
    const [a, b] = fleet.nodes;
    const c = await PollClient.connect(`${b.url}/websocket/poll`);
    c.terminate();
    await b.stop();
    const res = await fetch(`${a.url}/websocket/poll?sid=${encodeURIComponent(c.sid)}`, { method: "POST", body: "{}" });
    assert.equal(res.status, 404);
    assert.match(((await res.json()) as { reason: string }).reason, /open a new session/);
  });
});

const fleetSkip = fleetSkipReason() ?? redisSkipReason() ?? ((await pgReachable()) ? null : pgSkipReason("the fleet transport tests"));
if (fleetSkip) console.warn(`fleet transport tests SKIPPED: ${fleetSkip}`);

describe("HTTP transports on a fleet of processes (Redis, PostgreSQL, HAProxy round-robin)", { skip: fleetSkip ?? undefined }, () => {
  let fleet: Fleet;
  before(async () => {
    fleet = await startFleet({ nodes: 2 });
  });
  afterEach(() => {
    for (const w of open.splice(0)) w.terminate();
  });
  after(() => fleet?.close());

  for (const kind of ["sse", "poll"] as const) {
    it(`an instalk session over ${kind}, each request on the other node than the last, and through the balancer`, async () => {
      const [a, b] = fleet.nodes;
      const c = kind === "sse" ? await SseClient.connect(`${a.url}/websocket/sse`) : await PollClient.connect(`${a.url}/websocket/poll`);
      open.push(c);
      const room = unique("fleet");
      const hops = [b.url, a.url, fleet.balancer.url, b.url];
      const frames: unknown[] = [{ v: "0.1" }, { r: room, o: "join" }, { r: room, o: "msg", data: { body: "across" } }, { "heart-beat": 9 }];
      for (const [i, frame] of frames.entries()) {
        c.via(hops[i]).send(frame);
        await c.flushed();
      }
      assert.equal((await c.next(5000)).welcome, 1);
      assert.equal((await c.next(5000)).o, "room-welcome");
      // The echo follows the store's commit; the heart-beat's ack does not wait for it.
      const rest = [(await c.next(5000)) as Frame, (await c.next(5000)) as Frame];
      assert.equal(rest.find((f) => f.o === "msg")?.data.body, "across", JSON.stringify(rest));
      assert.ok(rest.some((f) => f["heart-beat-ack"] === 9), JSON.stringify(rest));
      assert.deepEqual(c.posts, [204, 204, 204, 204]);
      c.via(b.url).close();
      assert.equal((await c.waitClose(5000)).code, 1000);
    });
  }
});
