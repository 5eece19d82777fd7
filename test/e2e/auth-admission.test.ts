import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { assertError, call, newName, PASSWORD } from "./auth-client.js";

/** Creating accounts and stored credentials is bounded per address, and password hashing per process. */
describe("admission: accounts and anonymous session keys per address", () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ auth: { creationsPerAddress: 3, creationWindowSeconds: 2, minPasswordLength: 8 } });
  });
  after(() => t.stop());

  it("after auth.creationsPerAddress registrations the address gets 429 until the window passes", async () => {
    for (let i = 0; i < 3; i++) assert.equal((await call(t, "POST", "/api/users", { name: newName("q"), password: PASSWORD })).status, 201);
    assertError(await call(t, "POST", "/api/users", { name: newName("q"), password: PASSWORD }), 429, "rate.limited");
    assertError(await call(t, "POST", "/api/sessions", { anonymous: true }), 429, "rate.limited");
    await new Promise((r) => setTimeout(r, 2100));
    assert.equal((await call(t, "POST", "/api/sessions", { anonymous: true })).status, 201);
  });

  it("a session key that is not valid percent-encoding is a 400, not a 500", async () => {
    assertError(await call(t, "DELETE", "/api/sessions/abc%"), 400, "request.bad");
  });
});

describe("admission: concurrent password hashing", () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.stop());

  it("a flood of registrations is partly refused with 503 server.busy at once; the server keeps serving logins", async () => {
    const flood = await Promise.all(
      Array.from({ length: 80 }, () => call(t, "POST", "/api/users", { name: newName("flood"), password: PASSWORD })),
    );
    const statuses = flood.map((r) => r.status);
    assert.ok(statuses.includes(201), "some went through");
    assert.ok(statuses.includes(503), `some were refused as busy: ${statuses.join(",")}`);
    for (const r of flood.filter((x) => x.status === 503)) assertError(r, 503, "server.busy");
    const name = newName("after");
    assert.equal((await call(t, "POST", "/api/users", { name, password: PASSWORD })).status, 201);
    assert.equal((await call(t, "POST", "/auth/login/", { name, password: PASSWORD })).status, 200);
  });
});
