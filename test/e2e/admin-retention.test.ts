// A room relay uses keeps no content whoever writes — the operator included:
// publishing into it through the admin API is refused with 403, like every
// dialect's client is, and nothing is stored.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { TestServer } from "../helpers/server.js";
import { TestClient } from "../helpers/ws-client.js";
import { admin, startAdminServer } from "./admin-client.js";

describe("admin: publishing into a relay room", () => {
  let t: TestServer;
  const sockets: TestClient[] = [];
  before(async () => {
    t = await startAdminServer();
  });
  after(async () => {
    for (const c of sockets) c.terminate();
    await t.stop();
  });

  it("is refused with 403 room.no-retention and stores nothing", async () => {
    const res = await fetch(`${t.url}/api/sessions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ anonymous: true }) });
    const { key } = (await res.json()) as { key: string };
    const relay = await TestClient.connect(t.ws(`/relay?key=${encodeURIComponent(key)}`));
    sockets.push(relay);
    const room = randomUUID();
    relay.send({ type: "enter", room_id: room });
    // A ping's pong comes after the enter was handled (requests are answered in order).
    relay.send({ type: "ping", time: 1.5 });
    await relay.waitFor((f) => f.type === "pong");
    const reply = await admin(t, "POST", `/api/admin/rooms/${encodeURIComponent(room)}/messages`, { body: "from the operator" });
    assert.equal(reply.status, 403, JSON.stringify(reply.body));
    assert.equal(reply.body.error, "room.no-retention");
    assert.equal(await t.server.core.rooms.lastSeq(room), 0, "nothing was stored");
  });
});
