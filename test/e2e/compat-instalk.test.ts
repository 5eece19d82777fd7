// The original Instalk web client against Switchboard: every item of the
// "Compatibility with the original Instalk client" section of
// shared/protocols/instalk.md, over each transport (WebSocket, SSE + POST,
// long-poll), with frames taken from the original project's Protocol.md.
// The client under test uses the transport; the other members are WebSockets.
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { openWire, WIRE_KINDS, type Wire, type WireKind } from "../helpers/wires.js";

type Frame = { [key: string]: any };

/** Generous: the suite must pass on a loaded two-core machine. */
const WAIT_MS = 10_000;

let n = 0;
const unique = (prefix: string) => `${prefix}-${process.pid}-${++n}`;
/** A display name no other test holds (names are claimed while their session lives). */
const uniqueName = (prefix: string) => `${prefix} ${process.pid % 10_000}x${++n}`;

/** One instalk connection as the original client would drive it. */
class Client {
  user!: Frame;
  private beats = 0;
  constructor(readonly w: Wire) {}

  send(value: unknown): void {
    this.w.send(value);
  }

  async init(): Promise<Frame> {
    this.send({ v: "0.1" });
    const welcome = (await this.w.next(WAIT_MS)) as Frame;
    assert.equal(welcome.welcome, 1, JSON.stringify(welcome));
    this.user = welcome.user;
    return welcome;
  }

  waitFor(match: (f: Frame) => boolean): Promise<Frame> {
    return this.w.waitFor(match, WAIT_MS) as Promise<Frame>;
  }

  op(r: string, o: string): Promise<Frame> {
    return this.waitFor((f) => f.r === r && f.o === o);
  }

  async join(r: string): Promise<Frame> {
    this.send({ r, o: "join" });
    return (await this.op(r, "room-welcome")).data;
  }

  /** Every frame before the ack of a fresh heart-beat: what the server sent this client so far. */
  async drain(): Promise<Frame[]> {
    const beat = 7000 + ++this.beats;
    this.send({ "heart-beat": beat });
    const seen: Frame[] = [];
    for (;;) {
      const f = (await this.w.next(WAIT_MS)) as Frame;
      if (f["heart-beat-ack"] === beat) return seen;
      seen.push(f);
    }
  }
}

/** The original client's User: the seed's fields, plus `auth` and `info` saying the same. */
function assertOriginalUser(u: Frame, expected: { id: string; username: string; color: string; verified: boolean }): void {
  assert.deepEqual(u, { ...expected, auth: expected.verified, info: { name: expected.username, color: expected.color } });
}

const seedFields = (u: Frame) => ({ id: u.id, username: u.username, color: u.color, verified: u.verified });

/** `when` is epoch ms, the same instant as the seed's EJSON `time`. */
function assertWhen(data: Frame): void {
  assert.equal(typeof data.when, "number", JSON.stringify(data));
  assert.equal(data.when, Date.parse(data.time.$date));
}

for (const kind of WIRE_KINDS) {
  describe(`instalk: the original client's frames (${kind})`, () => {
    let t: TestServer;
    const open: Wire[] = [];

    before(async () => {
      t = await startTestServer();
    });
    afterEach(() => {
      for (const w of open.splice(0)) w.terminate();
    });
    after(() => t.stop());

    async function client(as: WireKind = kind, query = ""): Promise<Client> {
      const w = await openWire(as, t.url, `/websocket${query}`);
      open.push(w);
      const c = new Client(w);
      await c.init();
      return c;
    }
    /** A member on a WebSocket: the other end of what the client under test does. */
    const peer = () => client("websocket");

    it("User carries auth and info (welcome, identified, members, joined, left)", async () => {
      const me = await client();
      assertOriginalUser(me.user, seedFields(me.user));
      assert.equal(me.user.auth, false, "a guest is not authenticated");

      const name = uniqueName("Ahmed Soliman");
      me.send({ identity: name });
      const identified = await me.waitFor((f) => "identified" in f);
      assert.equal(identified.identified, true);
      assertOriginalUser(identified.user, { ...seedFields(me.user), username: name, color: identified.user.color });

      const r = unique("MyRoomID");
      const other = await peer();
      await other.join(r);
      const welcome = await me.join(r);
      assert.equal(welcome.members.length, 1);
      assertOriginalUser(welcome.members[0], seedFields(other.user));
      const joined = await other.op(r, "joined");
      assertOriginalUser(joined.data.user, seedFields(identified.user));

      me.send({ r, o: "leave" });
      await me.op(r, "room-bye");
      const left = await other.op(r, "left");
      assertOriginalUser(left.data.user, seedFields(identified.user));
    });

    it("an account's User says auth: true", async () => {
      const accountName = unique("AhmedSoliman");
      const made = await t.server.core.accounts.register({ name: accountName, password: null });
      assert.ok(made.ok);
      const { token } = await t.server.core.accounts.issueToken(made.account, "password");
      const me = await client(kind, `?token=${encodeURIComponent(token)}`);
      assertOriginalUser(me.user, { id: made.account.id, username: accountName, color: me.user.color, verified: true });
    });

    it("joined and left carry when (epoch ms) beside the seed's time", async () => {
      const r = unique("MyRoomID");
      const other = await peer();
      await other.join(r);
      const me = await client();
      await me.join(r);
      const joined = await other.op(r, "joined");
      assert.deepEqual(Object.keys(joined.data).sort(), ["time", "user", "when"]);
      assertWhen(joined.data);
      me.send({ r, o: "leave" });
      const left = await other.op(r, "left");
      assert.deepEqual(Object.keys(left.data).sort(), ["time", "user", "when"]);
      assertWhen(left.data);
    });

    it("set-room-topic carries #, sender and when, live and in history", async () => {
      const r = unique("8jkk98");
      const me = await client();
      await me.join(r);
      const other = await peer();
      await other.join(r);
      me.send({ r, o: "set-room-topic", data: { topic: "Hello Roomie" } });
      const live = await other.op(r, "set-room-topic");
      assert.equal(live.data.topic, "Hello Roomie");
      assert.equal(live.data["#"], live.data.nr);
      assertOriginalUser(live.data.sender, seedFields(me.user));
      assertWhen(live.data);
      assert.deepEqual(await me.op(r, "set-room-topic"), live, "the sender gets the same frame");
      // History shows the frame members received, byte for byte.
      me.send({ r, o: "sync", data: { from: 1 } });
      const synced = await me.op(r, "sync");
      assert.deepEqual(synced.data.messages, [live]);
      assert.deepEqual((await (await peer()).join(r)).messages, [live]);
    });

    it("the original rename {r:*, o:set-user-info, data:{name, color}} answers like identify and reaches every room as a stored set-user-info", async () => {
      const [r1, r2] = [unique("MyRoom"), unique("MyRoom")];
      const me = await client();
      await me.join(r1);
      await me.join(r2);
      const other = await peer();
      await other.join(r1);
      await me.drain();
      const name = uniqueName("Hamada");
      me.send({ r: "*", o: "set-user-info", data: { name, color: "#226677" } });
      const reply = await me.waitFor((f) => "identified" in f);
      const renamed = { id: me.user.id, username: name, color: "#226677", verified: false };
      assert.deepEqual(reply, { identified: true, user: { ...renamed, auth: false, info: { name, color: "#226677" } } });
      for (const [who, r] of [[me, r1], [other, r1], [me, r2]] as const) {
        const f = await who.op(r, "set-user-info");
        assertOriginalUser(f.data.user, renamed);
        assert.deepEqual(f.data.sender, f.data.user);
        assert.equal(f.data["#"], f.data.nr);
        assert.equal(f.data.sid, me.user.id);
      }
      // Stored: history has it, and the member list shows the new name and colour.
      me.send({ r: r1, o: "sync", data: { from: 1 } });
      assert.deepEqual((await me.op(r1, "sync")).data.messages.map((m: Frame) => m.o), ["set-user-info"]);
      const late = await peer();
      const welcome = await late.join(r1);
      assertOriginalUser(welcome.members.find((m: Frame) => m.id === me.user.id), renamed);
    });

    it("rename: colour optional (then the name's), identify's refusals, and color.invalid", async () => {
      const me = await client();
      const name = uniqueName("Hamada");
      me.send({ r: "*", o: "set-user-info", data: { name } });
      const reply = await me.waitFor((f) => "identified" in f);
      assert.equal(reply.identified, true);
      assert.equal(reply.user.username, name);
      assert.match(reply.user.color, /^#[0-9A-F]{6}$/);

      const rival = await client();
      const refusals: Array<[unknown, string]> = [
        [{ name }, "name.taken"],
        [{ name: "bad/name" }, "name.invalid"],
        [{ name: "" }, "name.invalid"],
        [{}, "name.invalid"],
        [{ name: 7 }, "name.invalid"],
        [{ name: uniqueName("Hamada"), color: "red" }, "color.invalid"],
        [{ name: uniqueName("Hamada"), color: "#12345" }, "color.invalid"],
      ];
      for (const [data, code] of refusals) {
        rival.send({ r: "*", o: "set-user-info", data });
        assert.deepEqual(await rival.waitFor((f) => "identified" in f), { identified: false, reason: { code } }, JSON.stringify(data));
      }
    });

    it("msg with txt and no body takes txt as the body; body wins when both are there", async () => {
      const r = unique("MyRoomID");
      const me = await client();
      await me.join(r);
      me.send({ r, o: "msg", data: { txt: "Hello World" } });
      const f = await me.op(r, "msg");
      assert.equal(f.data.body, "Hello World");
      assert.deepEqual(Object.keys(f.data).sort(), ["attachments", "body", "mentions", "nr", "sid", "time"], "the seed's message shape");
      me.send({ r, o: "msg", data: { txt: "ignored", body: "the body" } });
      assert.equal((await me.op(r, "msg")).data.body, "the body");
      me.send({ r, o: "msg", data: { txt: "" } });
      assert.equal((await me.op(r, "msg")).error.msg, "request.bad");
    });

    const goings = kind === "poll" ? (["close"] as const) : (["close", "terminate"] as const);
    for (const how of goings) {
      it(`a connection gone without leaving (${how}): the others get disconnect, then left, in every room`, async () => {
        const [r1, r2] = [unique("MyRoomID"), unique("MyRoomID")];
        // Both ends on the transport under test: the two frames reach an SSE or polling member as two frames too.
        const other = await client();
        await other.join(r1);
        await other.join(r2);
        const me = await client();
        await me.join(r1);
        await me.join(r2);
        await other.drain();
        if (how === "close") me.w.close();
        else me.w.terminate();
        // The rooms' frames may interleave: collect until both rooms said left.
        const seen: Frame[] = [];
        while (seen.filter((f) => f.o === "left").length < 2) seen.push(await other.waitFor((f) => f.o === "left" || f.o === "disconnect"));
        seen.push(...(await other.drain()).filter((f) => f.o === "left" || f.o === "disconnect"));
        for (const r of [r1, r2]) {
          const [gone, left, ...more] = seen.filter((f) => f.r === r);
          assert.deepEqual(more, [], "each once");
          assert.equal(gone.o, "disconnect", "the disconnect comes first");
          assert.deepEqual(Object.keys(gone).sort(), ["o", "r", "sid", "time"], "the seed's disconnect, unchanged");
          assert.equal(gone.sid, me.user.id);
          assert.equal(left.o, "left");
          assertOriginalUser(left.data.user, seedFields(me.user));
          assertWhen(left.data);
        }
      });
    }

    it("a user's other connection still in the room: neither disconnect nor left until its last one goes", async () => {
      const r = unique("MyRoomID");
      const accountName = unique("Twin");
      const made = await t.server.core.accounts.register({ name: accountName, password: null });
      assert.ok(made.ok);
      const { token } = await t.server.core.accounts.issueToken(made.account, "password");
      const other = await peer();
      await other.join(r);
      const one = await client(kind, `?token=${encodeURIComponent(token)}`);
      const two = await client("websocket", `?token=${encodeURIComponent(token)}`);
      await one.join(r);
      await two.join(r);
      await other.drain();
      one.w.close();
      await one.w.waitClose(WAIT_MS);
      // Its leave has run once presence shows one connection of the user.
      const deadline = Date.now() + WAIT_MS;
      while ((await t.server.core.broker.presence.list(`room:${r}`)).filter((e) => e.user.id === made.account.id).length !== 1) {
        assert.ok(Date.now() < deadline, "the closed connection leaves presence");
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      assert.deepEqual((await other.drain()).filter((f) => f.o === "left" || f.o === "disconnect"), []);
      two.w.close();
      assert.equal((await other.op(r, "disconnect")).sid, made.account.id);
      assert.equal((await other.op(r, "left")).data.user.id, made.account.id);
    });
  });
}
