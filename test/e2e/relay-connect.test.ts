import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { newRoom, relayServer } from "../helpers/relay.js";

describe("relay connect: session keys", () => {
  const h = relayServer();

  it("an unknown, missing or empty key is refused with HTTP 401 before the upgrade", async () => {
    assert.equal(await h.refusedStatus("?key=not-a-key"), 401);
    assert.equal(await h.refusedStatus(""), 401);
    assert.equal(await h.refusedStatus("?key="), 401);
    assert.equal(await h.refusedStatus(`?key=${"x".repeat(5000)}`), 401);
  });

  it("a key from POST /api/sessions opens a socket bound to that key's user", async () => {
    const p = await h.peer();
    const r = newRoom();
    await p.entered(r);
    p.say(r, "hi", { user_id: "00000000-0000-0000-0000-000000000000" });
    const m = await p.of("message");
    assert.equal(m.user_id, p.userId, "the sender is the key's user, whatever the frame says");
  });

  it("a key of a registered account binds its account id", async () => {
    const reg = await fetch(`${h.t.url}/api/users`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "relay-ann", password: "long enough pw" }) });
    assert.equal(reg.status, 201);
    const account = (await reg.json()) as { id: string };
    const s = await h.newKey({ name: "relay-ann", password: "long enough pw" });
    assert.equal(s.user_id, account.id);
    const p = await h.peer(s);
    await p.entered(newRoom());
  });

  it("revoking the key closes every open socket of it with 4401, and the key is then refused with 401", async () => {
    const s = await h.newKey();
    const [a, b] = [await h.peer(s), await h.peer(s)];
    const other = await h.peer();
    await a.drain();
    assert.equal(await h.revoke(s.key), 204);
    assert.deepEqual(await a.c.waitClose(), { code: 4401, reason: "key revoked" });
    assert.deepEqual(await b.c.waitClose(), { code: 4401, reason: "key revoked" });
    await other.quiet();
    assert.equal(await h.refusedStatus(`?key=${encodeURIComponent(s.key)}`), 401);
  });
});

describe("relay connect: key expiry", () => {
  const h = relayServer({ auth: { sessionKeyTtlSeconds: 1 } });

  it("a key that expires while its socket is open closes the socket with 4401", async () => {
    const p = await h.peer();
    const started = Date.now();
    assert.deepEqual(await p.c.waitClose(3000), { code: 4401, reason: "key expired" });
    assert.ok(Date.now() - started < 2000);
  });
});

describe("relay connect: ping and bad frames", () => {
  const h = relayServer();

  it("ping is answered with pong carrying the same time, whatever number it is", async () => {
    const p = await h.peer();
    for (const time of [1712345678.123, 0, -1, 42, 1e21]) {
      p.send({ type: "ping", time });
      assert.deepEqual(await p.next(), { type: "pong", time });
    }
  });

  it("frames that are not a JSON object with a string type are refused with frame.invalid and ref null", async () => {
    const p = await h.peer();
    for (const bad of ["{nope", "[1,2]", "42", JSON.stringify({ time: 1 }), JSON.stringify({ type: 7 })]) {
      p.send(bad);
      await p.refused("frame.invalid", null);
    }
  });

  it("an unknown type is refused with type.unknown naming it", async () => {
    const p = await h.peer();
    p.send({ type: "shout", room_id: newRoom() });
    await p.refused("type.unknown", "shout");
  });

  it("missing or mistyped fields are refused with frame.invalid, ref = the request type", async () => {
    const p = await h.peer();
    const r = newRoom();
    await p.refusesEach(
      [
        { type: "ping" },
        { type: "ping", time: "now" },
        { type: "enter" },
        { type: "message", key: p.key, room_id: r },
        { type: "message", key: p.key, room_id: r, content: 5 },
        { type: "read", room_id: r, message_id: "1" },
        { type: "read", room_id: r, message_id: 0 },
        { type: "kick", key: p.key, room_id: r, user_id: p.userId },
        { type: "invite", key: p.key, room_id: r, user_id: 12 },
      ],
      "frame.invalid",
    );
  });

  it("an oversized frame is refused with frame.too-large and the socket stays usable", async () => {
    const p = await h.peer();
    p.send({ type: "ping", time: 1, pad: "x".repeat(70_000) });
    await p.refused("frame.too-large", null);
    p.send({ type: "ping", time: 2 });
    assert.deepEqual(await p.next(), { type: "pong", time: 2 });
  });

  it("a flood is refused with rate.limited, not served", async () => {
    const p = await h.peer();
    for (let i = 0; i < 150; i++) p.send({ type: "ping", time: i });
    const codes = new Set<string>();
    // The burst of 100 is served; of the refusals only the first 10 of a flood are answered, the rest dropped unread.
    for (let i = 0; i < 110; i++) {
      const f = await p.next();
      codes.add(f.type === "error" ? f.code : f.type);
    }
    assert.deepEqual([...codes].sort(), ["pong", "rate.limited"]);
  });

  it("a pong that answers no ping is refused with pong.unexpected", async () => {
    const p = await h.peer();
    p.send({ type: "pong", time: 123 });
    await p.refused("pong.unexpected", "pong");
  });
});
