// The original Really clients (really.js, pyreally) against Switchboard: every
// item of the "Compatibility with the original Really clients" section of
// shared/protocols/really.md, over each transport (WebSocket, SSE + POST,
// long-poll), with requests shaped as in the original the-wire-protocol.rst.
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { openWire, WIRE_KINDS, type Wire, type WireKind } from "../helpers/wires.js";

type Frame = { [key: string]: any };

/** Generous: the suite must pass on a loaded two-core machine. */
const WAIT_MS = 10_000;

let n = 0;
const unique = (prefix: string) => `${prefix}${process.pid % 10_000}x${++n}`;

/** One really connection over any transport: replies by tag, pushes by `evt`, nothing dropped while waiting. */
class Client {
  private tag = 0;
  user: Frame = {};
  constructor(readonly w: Wire) {}

  /** Removes and returns the first frame (queued or arriving) that matches. */
  async take(match: (f: Frame) => boolean, timeoutMs = WAIT_MS): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.w.frames.findIndex((text) => match(JSON.parse(text) as Frame));
      if (i >= 0) return JSON.parse(this.w.frames.splice(i, 1)[0]) as Frame;
      if (this.w.closed) throw new Error(`closed (${this.w.closed.code}) while waiting; queued: ${this.w.frames.join(" ")}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting; queued: ${this.w.frames.join(" ")}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  async request(cmd: string, fields: Frame = {}): Promise<Frame> {
    const tag = ++this.tag;
    this.w.send({ tag, cmd, ...fields });
    return this.take((f) => f.tag === tag);
  }

  push(evt: string, match: (f: Frame) => boolean = () => true): Promise<Frame> {
    return this.take((f) => f.evt === evt && !("tag" in f) && match(f));
  }

  /** The pushes queued so far (a ping's reply is a barrier: what was sent before it is here). */
  async queuedPushes(): Promise<Frame[]> {
    await this.request("ping");
    return this.w.frames.map((text) => JSON.parse(text) as Frame).filter((f) => f.evt !== undefined && !("tag" in f));
  }
}

const ok = (reply: Frame): Frame => {
  assert.equal(reply.error, undefined, JSON.stringify(reply));
  return reply;
};

const idOf = (c: Client) => String(c.user._r).slice("/users/".length);

for (const kind of WIRE_KINDS) {
  describe(`really: the original clients' requests (${kind})`, () => {
    let t: TestServer;
    const open: Wire[] = [];

    before(async () => {
      t = await startTestServer({ limits: { messagesPerSecond: 100_000, burst: 100_000 } });
    });
    afterEach(() => {
      for (const w of open.splice(0)) w.terminate();
    });
    after(() => t.stop());

    async function token(account = false): Promise<string> {
      if (!account) {
        const res = await fetch(`${t.url}/auth/anonymous/`, { method: "POST" });
        return ((await res.json()) as Frame).accessToken;
      }
      const name = unique("ahmed");
      const json = { "content-type": "application/json" };
      const made = await fetch(`${t.url}/api/users`, { method: "POST", headers: json, body: JSON.stringify({ name, password: "correct horse battery" }) });
      assert.equal(made.status, 201);
      const login = await fetch(`${t.url}/auth/login/`, { method: "POST", headers: json, body: JSON.stringify({ name, password: "correct horse battery" }) });
      return ((await login.json()) as Frame).accessToken;
    }

    /** An initialized client on the transport under test (or, for the other end, a WebSocket). */
    async function client(opts: { account?: boolean; as?: WireKind } = {}): Promise<Client> {
      const w = await openWire(opts.as ?? kind, t.url, "/v0.1/socket");
      open.push(w);
      const c = new Client(w);
      const init = await c.request("initialize", { accessToken: await token(opts.account) });
      assert.equal(init.evt, "initialized", JSON.stringify(init));
      c.user = init.body.user;
      return c;
    }

    async function fill(c: Client, r: string, bodies: Frame[]): Promise<Frame[]> {
      const made: Frame[] = [];
      for (const body of bodies) made.push(ok(await c.request("create", { r, body })));
      return made;
    }

    it("read with includeTotalCount answers totalResults: the items matching the query over all pages", async () => {
      const c = await client();
      const r = `/${unique("users")}/`;
      await fill(c, r, [1, 2, 3, 4, 5, 6, 7].map((age) => ({ name: age % 2 ? "Ahmed" : "Hamada", age })));
      const read = ok(await c.request("read", { r, cmdOpts: { limit: 2, includeTotalCount: true, query: { filter: "name = $name and age > $age", values: { name: "Ahmed", age: 2 } } } }));
      assert.equal(read.body.totalResults, 3, "ages 3, 5 and 7");
      assert.equal(read.body.items.length, 2);
      const all = ok(await c.request("read", { r, cmdOpts: { limit: 1, includeTotalCount: true } }));
      assert.equal(all.body.totalResults, 7);
      const without = ok(await c.request("read", { r, cmdOpts: { limit: 1 } }));
      assert.equal("totalResults" in without.body, false, "only when asked");
    });

    it("totalResults of a room's messages counts messages only; of /rooms/ every room", async () => {
      const c = await client();
      const room = unique("lobby");
      ok(await c.request("create", { r: "/rooms/", body: { name: room, topic: "a topic is an event, not a message" } }));
      const messages = `/rooms/${room}/messages/`;
      await fill(c, messages, [{ body: "one" }, { body: "two" }, { body: "three" }]);
      const read = ok(await c.request("read", { r: messages, cmdOpts: { limit: 1, includeTotalCount: true } }));
      assert.equal(read.body.totalResults, 3);
      let listed = 0;
      let token: string | undefined;
      let total: number | undefined;
      do {
        const page = ok(await c.request("read", { r: "/rooms/", cmdOpts: { limit: 200, includeTotalCount: true, ...(token ? { paginationToken: token } : {}) } }));
        listed += page.body.items.length;
        total ??= page.body.totalResults;
        token = page.body.tokens.nextToken;
      } while (token);
      assert.equal(total, listed);
    });

    it("skip steps over that many matching items, in the order asked, with limit", async () => {
      const c = await client();
      const r = `/${unique("boards")}/`;
      await fill(c, r, [1, 2, 3, 4, 5, 6].map((i) => ({ i, kind: i % 3 === 0 ? "other" : "card" })));
      const ages = (reply: Frame) => reply.body.items.map((item: Frame) => item.body.i);
      assert.deepEqual(ages(ok(await c.request("read", { r, cmdOpts: { ascending: true, skip: 1, limit: 2 } }))), [2, 3]);
      assert.deepEqual(ages(ok(await c.request("read", { r, cmdOpts: { skip: 1, limit: 2 } }))), [5, 4], "newest first by default");
      const filtered = { filter: "kind = $k", values: { k: "card" } };
      const page = ok(await c.request("read", { r, cmdOpts: { ascending: true, skip: 2, limit: 2, query: filtered } }));
      assert.deepEqual(ages(page), [4, 5], "cards are 1 2 4 5: two skipped");
      assert.ok(page.body.tokens.prevToken, "items lie before this page");
      assert.deepEqual(ages(ok(await c.request("read", { r, cmdOpts: { skip: 6 } }))), []);
      assert.deepEqual(ages(ok(await c.request("read", { r, cmdOpts: { skip: 600 } }))), []);
      // On a room's messages too.
      const room = unique("lobby");
      ok(await c.request("create", { r: "/rooms/", body: { name: room } }));
      await fill(c, `/rooms/${room}/messages/`, ["a", "b", "c", "d"].map((body) => ({ body })));
      const msgs = ok(await c.request("read", { r: `/rooms/${room}/messages/`, cmdOpts: { ascending: true, skip: 2 } }));
      assert.deepEqual(msgs.body.items.map((item: Frame) => item.body.body), ["c", "d"]);
      const bad = await c.request("read", { r, cmdOpts: { skip: -1 } });
      assert.equal(bad.error.code, 400);
    });

    it("a filter may name _r (= and !=), compared with the object's path, with or without its trailing slash", async () => {
      const c = await client();
      const r = `/${unique("users")}/`;
      const [first, second] = await fill(c, r, [{ firstname: "Ahmed" }, { firstname: "Hamada" }]);
      const query = (filter: string, value: string) => c.request("read", { r, cmdOpts: { query: { filter, values: { r: value } } } });
      const found = ok(await query("_r = $r", first.r));
      assert.deepEqual(found.body.items.map((i: Frame) => i.body._r), [first.r]);
      assert.deepEqual(ok(await query("_r = $r", `${second.r}/`)).body.items.map((i: Frame) => i.body._r), [second.r]);
      assert.deepEqual(ok(await query("_r != $r", first.r)).body.items.map((i: Frame) => i.body._r), [second.r]);
      assert.deepEqual(ok(await query("_r = $r", `${r}nobody`)).body.items, []);
      // A live read filtered on _r hears only of that object.
      const reader = await client();
      ok(await reader.request("read", { r, cmdOpts: { subscribe: true, query: { filter: "_r != $r", values: { r: `${r}never` } } } }));
      const made = ok(await c.request("create", { r, body: { firstname: "Soliman" } }));
      assert.equal((await reader.push("created")).body._r, made.r);
    });

    it("the created push names the collection (r: /<collection>/*/) and carries the new object with its own _r", async () => {
      const reader = await client();
      const writer = await client({ as: "websocket" });
      const r = `/${unique("users")}/`;
      ok(await reader.request("read", { r, cmdOpts: { subscribe: true } }));
      const made = ok(await writer.request("create", { r, body: { firstname: "Ahmed", lastname: "Soliman" } }));
      const push = await reader.push("created");
      assert.equal(push.r, `${r}*/`);
      assert.deepEqual(push.body, { firstname: "Ahmed", lastname: "Soliman", _r: made.r, _rev: 1 });
      // A room's messages: the collection is the room's messages.
      const room = unique("lobby");
      ok(await writer.request("create", { r: "/rooms/", body: { name: room } }));
      ok(await reader.request("read", { r: `/rooms/${room}/messages/`, cmdOpts: { subscribe: true } }));
      const sent = ok(await writer.request("create", { r: `/rooms/${room}/messages/`, body: { body: "hello" } }));
      const msg = await reader.push("created");
      assert.equal(msg.r, `/rooms/${room}/messages/*/`);
      assert.equal(msg.body._r, sent.r);
      // The push's r unsubscribes the feed.
      assert.deepEqual(ok(await reader.request("unsubscribe", { body: { subscriptions: [`${r}*/`] } })).body, { unsubscriptions: [`${r}*/`] });
    });

    it("meta.opBy is the original's object {authType, uid, data} on created, updated and deleted", async () => {
      const anon = await client();
      const member = await client({ account: true, as: "websocket" });
      assert.equal(member.user.authType, "password");
      const r = `/${unique("wiki")}/`;
      ok(await anon.request("read", { r, cmdOpts: { subscribe: true } }));
      const made = ok(await member.request("create", { r, body: { text: "v1" } }));
      const byMember = { authType: "password", uid: idOf(member), data: {} };
      assert.deepEqual((await anon.push("created")).meta, { opBy: byMember });
      ok(await anon.request("subscribe", { body: { subscriptions: [{ r: made.r }] } }));
      ok(await member.request("update", { r: made.r, rev: 1, body: { ops: [{ op: "set", key: "text", value: "v2" }] } }));
      assert.deepEqual((await anon.push("updated")).meta, { opBy: byMember });
      ok(await member.request("delete", { r: made.r }));
      assert.deepEqual(await anon.push("deleted"), { evt: "deleted", r: made.r, rev: 3, meta: { opBy: byMember } });
      // An anonymous author, and a room message.
      const room = unique("lobby");
      ok(await anon.request("create", { r: "/rooms/", body: { name: room } }));
      ok(await member.request("read", { r: `/rooms/${room}/messages/`, cmdOpts: { subscribe: true } }));
      ok(await anon.request("create", { r: `/rooms/${room}/messages/`, body: { body: "hi" } }));
      assert.deepEqual((await member.push("created")).meta, { opBy: { authType: "anonymous", uid: idOf(anon), data: {} } });
    });

    it("subscribe with an older rev: the missed updated events in order, then live ones, none twice", async () => {
      const writer = await client({ as: "websocket" });
      const made = ok(await writer.request("create", { r: `/${unique("users")}/`, body: { firstname: "Ahmed", tags: [] } }));
      const r = made.r;
      for (let rev = 1; rev <= 3; rev++) ok(await writer.request("update", { r, rev, body: { ops: [{ op: "push", key: "tags", value: `t${rev}` }] } }));
      const c = await client();
      const sub = ok(await c.request("subscribe", { body: { subscriptions: [{ r, rev: 2, fields: ["firstname", "tags"] }] } }));
      assert.deepEqual(sub.body.subscriptions, [r]);
      const missed = [await c.push("updated"), await c.push("updated")];
      assert.deepEqual(missed.map((p) => [p.rev, p.body.tags]), [[3, { op: "push", opValue: "t2" }], [4, { op: "push", opValue: "t3" }]]);
      assert.deepEqual(missed[0].meta.opBy.uid, idOf(writer));
      ok(await writer.request("update", { r, rev: 4, body: { ops: [{ op: "set", key: "firstname", value: "Hamada" }] } }));
      const live = await c.push("updated");
      assert.equal(live.rev, 5);
      assert.deepEqual((await c.queuedPushes()).filter((p) => p.r === r), [], "each change once");
      // Subscribing at the current rev sends nothing before the live changes.
      const d = await client();
      ok(await d.request("subscribe", { body: { subscriptions: [{ r, rev: 5 }] } }));
      assert.deepEqual((await d.queuedPushes()).filter((p) => p.r === r), []);
    });

    it("subscribe with a rev whose changes are not held: one snapshot of the whole object, then live updates", async () => {
      const writer = await client({ as: "websocket" });
      const made = ok(await writer.request("create", { r: `/${unique("users")}/`, body: { firstname: "Ahmed", n: 0 } }));
      const r = made.r;
      ok(await writer.request("update", { r, rev: 1, body: { ops: [{ op: "addNumber", key: "n", value: 1 }] } }));
      // rev 0: the creation is not an update, so nothing can be replayed from there.
      const c = await client();
      ok(await c.request("subscribe", { body: { subscriptions: [{ r, rev: 0 }] } }));
      assert.deepEqual(await c.push("snapshot"), { evt: "snapshot", r, rev: 2, body: { firstname: "Ahmed", n: 1, _r: r, _rev: 2 } });
      // Older than the bounded log holds (100 changes kept, trimmed in batches of 25).
      for (let rev = 2; rev <= 131; rev++) ok(await writer.request("update", { r, rev, body: { ops: [{ op: "addNumber", key: "n", value: 1 }] } }));
      assert.equal((await c.push("updated", (p) => p.rev === 131)).rev, 131);
      const late = await client();
      ok(await late.request("subscribe", { body: { subscriptions: [{ r, rev: 2 }] } }));
      const snapshot = await late.push("snapshot");
      assert.equal(snapshot.rev, 132);
      assert.equal(snapshot.body.n, 131);
      assert.deepEqual((await late.queuedPushes()).filter((p) => p.evt === "updated"), [], "no replay besides the snapshot");
      ok(await writer.request("update", { r, rev: 132, body: { ops: [{ op: "set", key: "firstname", value: "Hamada" }] } }));
      assert.equal((await late.push("updated")).rev, 133);
      // A recent rev is still replayed.
      const recent = await client();
      ok(await recent.request("subscribe", { body: { subscriptions: [{ r, rev: 130 }] } }));
      assert.deepEqual([(await recent.push("updated")).rev, (await recent.push("updated")).rev, (await recent.push("updated")).rev], [131, 132, 133]);
    });

    it("poke (really.js's heart-beat) answers poked with its timestamp", async () => {
      const c = await client();
      const stamp = 1398592566109;
      const tag = 77;
      c.w.send({ tag, cmd: "poke", timestamp: stamp });
      assert.deepEqual(await c.take((f) => f.tag === tag), { tag, evt: "poked", timestamp: stamp });
      // Before initialize it is refused like any command but initialize.
      const w = await openWire(kind, t.url, "/v0.1/socket");
      open.push(w);
      w.send({ tag: 1, cmd: "poke", timestamp: stamp });
      assert.deepEqual(await w.next(WAIT_MS), { tag: 1, error: { code: 400, message: "initialize.required" } });
    });

    it("still the seed's: a revoked token is token-expired and a close (not the SDK's revoked)", async () => {
      const accessToken = await token(true);
      const w = await openWire(kind, t.url, "/v0.1/socket");
      open.push(w);
      const c = new Client(w);
      assert.equal((await c.request("initialize", { accessToken })).evt, "initialized");
      const out = await fetch(`${t.url}/auth/logout`, { method: "POST", headers: { authorization: `Bearer ${accessToken}` } });
      assert.equal(out.status, 204);
      assert.deepEqual(await c.push("token-expired"), { evt: "token-expired" });
      await w.waitClose(WAIT_MS);
    });

    it("still refused by design: creating objects in /users", async () => {
      const c = await client();
      const refused = await c.request("create", { r: "/users/", body: { name: "Ahmed" } });
      assert.equal(refused.error.code, 403);
    });
  });
}

describe("really: poke keeps a socket from idling out", () => {
  const idleMs = 2000;
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ really: { idleMs } });
  });
  after(() => t.stop());

  it("pokes every quarter of really.idleMs keep it open past the idle period; without them it is kicked", async () => {
    const res = await fetch(`${t.url}/auth/anonymous/`, { method: "POST" });
    const accessToken = ((await res.json()) as Frame).accessToken as string;
    const w = await openWire("websocket", t.url, "/v0.1/socket");
    try {
      const c = new Client(w);
      assert.equal((await c.request("initialize", { accessToken })).evt, "initialized");
      const started = Date.now();
      let tag = 1000;
      // really.js's heart-beat at its own pace, for twice the idle period.
      while (Date.now() - started < 2 * idleMs) {
        w.send({ tag: ++tag, cmd: "poke", timestamp: Date.now() });
        assert.equal((await c.take((f) => f.tag === tag)).evt, "poked");
        await new Promise((resolve) => setTimeout(resolve, idleMs / 4));
      }
      assert.equal(w.closed, null, "not kicked while poking");
      assert.deepEqual(await c.push("kicked"), { evt: "kicked" });
      assert.equal((await w.waitClose(WAIT_MS)).code, 1000);
    } finally {
      w.terminate();
    }
  });
});
