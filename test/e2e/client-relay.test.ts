import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { RelayClient, type MessageFrame, type RelayOptions } from "../../src/client/relay.js";
import { Gate, quickReconnect, RestartableServer, trackedWebSocket, until } from "../helpers/client-kit.js";

describe("relay client", () => {
  let s: RestartableServer;
  const clients: RelayClient[] = [];
  const client = (opts: Partial<RelayOptions> = {}) => {
    const c = new RelayClient({ url: s.url, credentials: { anonymous: true }, reconnect: quickReconnect, ...opts });
    clients.push(c);
    return c;
  };
  /** Every message one client got in a room, and the gaps it was told of. */
  const watch = (c: RelayClient, room: string) => {
    const got: MessageFrame[] = [];
    const gaps: Array<{ from: number; to: number }> = [];
    c.on("message", (m) => m.room_id === room && got.push(m));
    c.on("gap", (g) => g.room === room && gaps.push({ from: g.from, to: g.to }));
    return { got, gaps };
  };

  before(async () => {
    s = await RestartableServer.start();
  });
  after(async () => {
    for (const c of clients) c.close();
    await s.dispose();
  });

  it("makes its own session key, enters, talks, reads, and rejects refused requests with relay's codes", async () => {
    const room = randomUUID();
    const a = client();
    const b = client();
    await Promise.all([a.connect(), b.connect()]);
    assert.ok(a.userId && a.key);
    await a.enter(room);
    const entered = a.next("presence", { filter: (p) => p.type === "enter" });
    await b.enter(room);
    assert.equal((await entered).user_id, b.userId);

    const heard = b.next("message", { filter: (m) => m.room_id === room });
    await a.send(room, "hello");
    const m = await heard;
    assert.deepEqual([m.content, m.user_id, m.message_id], ["hello", a.userId, 1]);
    const receipt = a.next("read");
    await b.markRead(room, m.message_id);
    assert.equal((await receipt).user_id, b.userId);

    await assert.rejects(b.send(randomUUID(), "x"), (e: Error & { code?: string }) => e.code === "room.not-member");
    await assert.rejects(b.closeRoom(room), (e: Error & { code?: string }) => e.code === "room.not-admin");
    await assert.rejects(a.enter("not-a-uuid"), (e: Error & { code?: string }) => e.code === "uuid.invalid");
    // The refusals changed nothing: the next request is accepted.
    await b.send(room, "still here");
    // Credentials the server refuses end the client at once: retrying cannot help.
    await assert.rejects(client({ credentials: { name: `nobody${process.pid}`, password: "not this one" } }).connect(), (e: Error & { code?: string }) => e.code === "credentials.invalid");
  });

  it("a server restart mid-conversation: re-entered, told plainly that relay cannot replay, and which messages it missed", async () => {
    const room = randomUUID();
    const gate = new Gate();
    const reader = client({ url: gate.guard(() => s.url) });
    const writer = client();
    await Promise.all([reader.connect(), writer.connect()]);
    await reader.enter(room);
    await writer.enter(room);
    const { got, gaps } = watch(reader, room);
    for (let i = 1; i <= 5; i++) await writer.send(room, `m${i}`);
    await until(() => got.length === 5, "five live");

    gate.close();
    await s.restart();
    await until(() => writer.state === "open", "the writer back");
    for (let i = 6; i <= 10; i++) await writer.send(room, `m${i}`);
    const told = reader.next("recovery-failed", { filter: (e) => e.room === room, timeoutMs: 30_000 });
    assert.equal(reader.state, "reconnecting");
    gate.open();
    assert.equal((await told).error.code, "relay.no-history");
    await until(() => reader.state === "open", "the reader back");
    await writer.send(room, "m11");
    await until(() => got.length === 6, "the live message after the restart");
    assert.deepEqual(got.map((m) => m.content), ["m1", "m2", "m3", "m4", "m5", "m11"]);
    assert.deepEqual(gaps, [{ from: 6, to: 10 }]);
  });

  it("a network cut in the middle of a burst: every message at most once, in order, and the missing ones reported", async () => {
    const room = randomUUID();
    const net = trackedWebSocket();
    const reader = client({ WebSocket: net.WebSocket });
    const writer = client();
    await Promise.all([reader.connect(), writer.connect()]);
    await reader.enter(room);
    await writer.enter(room);
    const { got, gaps } = watch(reader, room);
    const total = 60;
    const sending = Promise.all(Array.from({ length: total }, (_, i) => writer.send(room, `b${i + 1}`)));
    await until(() => got.length >= 10, "the burst under way");
    net.cut();
    await sending;
    await until(() => reader.state === "open" && net.sockets.length >= 2, "the reader back");
    await writer.send(room, "after");
    await until(() => got.at(-1)?.content === "after", "the message after the burst");
    const ids = got.map((m) => m.message_id);
    assert.deepEqual(ids, [...ids].sort((x, y) => x - y), "in order");
    assert.equal(new Set(ids).size, ids.length, "none twice");
    // What arrived and what was reported missing cover every id exactly.
    const covered = new Set(ids);
    for (const g of gaps) for (let id = g.from; id <= g.to; id++) covered.add(id);
    assert.equal(covered.size, total + 1);
    assert.ok(gaps.length >= 1 || ids.length === total + 1);
  });
});
