import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { anonymousToken, applyUpdate, ReallyClient, type MessageItem, type ObjectSnapshot } from "../../src/client/really.js";
import { Gate, quickReconnect, RestartableServer, trackedWebSocket, uniqueName, until } from "../helpers/client-kit.js";

describe("really client", () => {
  let s: RestartableServer;
  const clients: ReallyClient[] = [];
  const client = (opts: Partial<ConstructorParameters<typeof ReallyClient>[0]> = {}) => {
    const c = new ReallyClient({ url: s.url, token: async () => (await anonymousToken(s.url)).accessToken, reconnect: quickReconnect, ...opts });
    clients.push(c);
    return c;
  };
  /** The bodies of a room's messages as one client was given them, in order. */
  const heard = (c: ReallyClient, room: string) => {
    const out: string[] = [];
    c.on("message", (e) => e.room === room && out.push(e.message.body));
    return out;
  };
  /** A document kept live from `updated` and `snapshot` events alone. */
  const live = (c: ReallyClient, doc: ObjectSnapshot) => {
    const copy = { doc };
    c.on("updated", (e) => e.r === doc._r && (copy.doc = applyUpdate(copy.doc, e.changes, e.rev)));
    c.on("snapshot", (e) => e.r === doc._r && (copy.doc = e.body));
    return copy;
  };

  before(async () => {
    // Anyone may change a note: two users edit one document.
    s = await RestartableServer.start({ really: { collections: { notes: { read: "any", write: "any" } } } });
  });
  after(async () => {
    for (const c of clients) c.close();
    await s.dispose();
  });

  it("requests as promises, errors with the server's codes, live objects and room messages", async () => {
    const a = client();
    const b = client();
    const user = await a.connect();
    assert.equal(user.authType, "anonymous");
    await b.connect();
    await a.ping();

    const note = await a.create("/notes/", { title: "todo", items: [] });
    assert.equal(note._rev, 1);
    const copy = live(b, await b.subscribe(note._r));
    const rev = await a.update(note._r, 1, [
      { op: "push", key: "items", value: "milk" },
      { op: "set", key: "title", value: "shopping" },
    ]);
    assert.equal(rev, 2);
    await until(() => copy.doc._rev === 2, "b's copy at rev 2");
    assert.deepEqual(copy.doc, await b.get(note._r));
    await assert.rejects(a.update(note._r, 1, [{ op: "set", key: "title", value: "late" }]), (e: Error & { code?: string; info?: { status?: number } }) => e.code === "object.revision.outdated" && e.info?.status === 409);

    const room = uniqueName("really");
    await a.create("/rooms/", { name: room });
    await a.postMessage(room, "before the watch");
    const history = await b.watchRoom(room);
    assert.deepEqual(history.map((m) => m.body), ["before the watch"]);
    const got = heard(b, room);
    await a.postMessage(room, "live");
    await until(() => got.length === 1, "the live message");
    assert.deepEqual(got, ["live"]);

    const gone = b.next("deleted", { filter: (e) => e.r === note._r });
    await a.delete(note._r);
    await gone;
    await assert.rejects(a.get(note._r), (e: Error & { code?: string }) => e.code === "object.gone");
  });

  it("a server restart mid-conversation: re-initialized, a snapshot of the changed document, missed messages once and in order", async () => {
    const gate = new Gate();
    const reader = client({ url: gate.guard(() => s.url) });
    const writer = client();
    await Promise.all([reader.connect(), writer.connect()]);
    const room = uniqueName("restart");
    await writer.create("/rooms/", { name: room });
    const note = await writer.create("/notes/", { title: "draft", n: 0 });
    const copy = live(reader, await reader.subscribe(note._r));
    await reader.watchRoom(room);
    const got = heard(reader, room);
    for (let i = 1; i <= 5; i++) await writer.postMessage(room, `m${i}`);
    await until(() => got.length === 5, "five live messages");

    gate.close();
    await s.restart();
    await until(() => writer.state === "open", "the writer back");
    let rev = note._rev;
    for (let i = 1; i <= 3; i++) rev = await writer.update(note._r, rev, [{ op: "addNumber", key: "n", value: 1 }]);
    for (let i = 6; i <= 60; i++) await writer.postMessage(room, `m${i}`);
    const recovered = reader.next("recovered", { timeoutMs: 30_000 });
    assert.equal(reader.state, "reconnecting");
    gate.open();
    await recovered;
    assert.equal(copy.doc._rev, rev);
    assert.equal(copy.doc.n, 3);

    await writer.update(note._r, rev, [{ op: "set", key: "title", value: "final" }]);
    await writer.postMessage(room, "m61");
    await until(() => got.length >= 61 && copy.doc.title === "final", "live again after the restart", 30_000);
    assert.deepEqual(got, Array.from({ length: 61 }, (_, i) => `m${i + 1}`));
    assert.deepEqual(copy.doc, await reader.get(note._r));
  });

  it("a network cut in the middle of a burst: every message once, in order", async () => {
    const net = trackedWebSocket();
    const reader = client({ WebSocket: net.WebSocket });
    const writer = client();
    await Promise.all([reader.connect(), writer.connect()]);
    const room = uniqueName("cut");
    await writer.create("/rooms/", { name: room });
    await reader.watchRoom(room);
    const got = heard(reader, room);
    const sent = Array.from({ length: 120 }, (_, i) => `b${i + 1}`);
    const sending = Promise.all(sent.map((b) => writer.postMessage(room, b)));
    await until(() => got.length >= 15, "the burst under way");
    net.cut();
    const results: MessageItem[] = await sending;
    assert.equal(results.length, sent.length);
    await until(() => got.length >= sent.length, "the whole burst", 30_000);
    assert.deepEqual(got, sent);
    assert.ok(net.sockets.length >= 2, "the reader opened a new socket");
  });
});
