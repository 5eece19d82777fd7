import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { ADMIN_KEY, assertError, auth, EventStream, ok, send, startAdminServer, type Json } from "./admin-client.js";

/** The admin key: required by every admin route, compared in constant time, guessing throttled per address, never logged. */

let t: TestServer;
let doc: Json;
const FAILURES = 3;

before(async () => {
  // The test client is the "load balancer": X-Forwarded-For names the client, so each test can be its own address.
  t = await startAdminServer({ trustedProxies: ["127.0.0.1"], auth: { adminKey: ADMIN_KEY, loginFailuresPerAddress: FAILURES, loginWindowSeconds: 600 } });
  doc = (await send(t, "GET", "/api/openapi.json")).body;
});
after(() => t.stop());

let addresses = 0;
const from = () => ({ "x-forwarded-for": `10.77.${Math.floor(++addresses / 250)}.${addresses % 250}` });

const adminOperations = () =>
  Object.entries(doc.paths as Json).flatMap(([path, ops]) =>
    Object.entries(ops as Json)
      .filter(([, op]) => (op as Json).security.some((s: Json) => "adminKey" in s))
      .map(([method]) => ({ method: method.toUpperCase(), path: path.replace(/\{[^}]+\}/g, "sample") })),
  );

describe("admin key", () => {
  it("without it, every admin operation answers 401 with a Bearer challenge, and nothing of the server", async () => {
    const ops = adminOperations();
    assert.ok(ops.length >= 19, `${ops.length} admin operations`);
    for (const { method, path } of ops) {
      const reply = await send(t, method, path, method === "GET" || method === "DELETE" ? undefined : {}, from());
      assertError(reply, 401, "admin.unauthorized");
      assert.match(reply.headers.get("www-authenticate") ?? "", /^Bearer /, `${method} ${path}`);
    }
  });

  it("a wrong key, a key of another kind, or a malformed header answers 401", async () => {
    const { method, path } = { method: "GET", path: "/api/admin/stats" };
    const login = await send(t, "POST", "/api/sessions", { anonymous: true });
    for (const authorization of [`Bearer ${ADMIN_KEY}x`, `Bearer ${ADMIN_KEY.slice(0, -1)}`, `Basic ${ADMIN_KEY}`, ADMIN_KEY, `Bearer ${login.body.key}`, "Bearer"]) {
      assertError(await send(t, method, path, undefined, { authorization, ...from() }), 401, "admin.unauthorized");
    }
  });

  it("after too many wrong keys an address is refused with 429 even with the right key; other addresses are not", async () => {
    const guesser = from();
    for (let i = 0; i < FAILURES; i++) assertError(await send(t, "GET", "/api/admin/stats", undefined, { ...guesser, ...auth(`wrong-key-${i}-0123456789`) }), 401);
    const blocked = await send(t, "GET", "/api/admin/stats", undefined, { ...guesser, ...auth() });
    assertError(blocked, 429, "rate.limited");
    assert.equal(blocked.headers.get("retry-after"), "600");
    assertError(await send(t, "POST", "/api/admin/stream-tickets", undefined, { ...guesser, ...auth("another-guess-0123456789") }), 429, "rate.limited");
    assert.equal((await send(t, "GET", "/api/admin/stats", undefined, { ...from(), ...auth() })).status, 200, "another address is served");
    // Asking without any key is no guess: it does not use up an address's allowance.
    const browser = from();
    for (let i = 0; i < FAILURES + 2; i++) assertError(await send(t, "GET", "/api/admin/stats", undefined, browser), 401);
    assert.equal((await send(t, "GET", "/api/admin/stats", undefined, { ...browser, ...auth() })).status, 200);
  });

  it("the event stream takes a one-use ticket, never the key itself", async () => {
    const withKey = await EventStream.open(t, {}, ADMIN_KEY);
    assert.equal(withKey.status, 401);
    assert.equal(withKey.body.error, "ticket.invalid");
    const opened = await EventStream.open(t, {});
    assert.equal(opened.status, 200);
    opened.stream!.close();
  });

  it("without auth.adminKey, one node generates <data>/admin.key (mode 0600): the README's way to the key works", async () => {
    const own = await startTestServer();
    try {
      const file = join(own.dataDir, "admin.key");
      assert.equal((await stat(file)).mode & 0o777, 0o600);
      const key = (await readFile(file, "utf8")).trim();
      assert.ok(key.length >= 32);
      const instalkRoom = `readme-${process.pid}`;
      await own.server.core.rooms.open(instalkRoom);
      const posted = await send(own, "POST", `/api/admin/rooms/${instalkRoom}/messages`, { body: "The server restarts at 22:00." }, auth(key));
      assert.equal(posted.status, 201, JSON.stringify(posted.body));
      assert.deepEqual(posted.body.sender, { id: "system", name: "system" });
      assert.ok(!JSON.stringify(own.logs).includes(key), "the generated key is not logged");
    } finally {
      await own.stop();
    }
  });

  it("public routes need no key: the document, registration, tokens", async () => {
    assert.equal((await send(t, "GET", "/api/openapi.json")).status, 200);
    assert.equal((await send(t, "POST", "/auth/anonymous")).status, 200);
  });

  it("neither the key nor a ticket ever reaches the logs", async () => {
    const ticket = (await ok(t, "POST", "/api/admin/stream-tickets", undefined, 201)).ticket as string;
    // A failing request after a successful one: both kinds of log line have had their chance.
    await send(t, "GET", `/api/admin/stream?ticket=${ticket}x`);
    await send(t, "GET", "/api/admin/stats", undefined, { ...from(), ...auth(`${ADMIN_KEY}-wrong`) });
    const text = JSON.stringify(t.logs);
    assert.ok(!text.includes(ADMIN_KEY), "the admin key is not logged");
    assert.ok(!text.includes(ticket), "the ticket is not logged");
  });
});
