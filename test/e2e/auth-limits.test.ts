import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { assertError, call, newName, PASSWORD, register } from "./auth-client.js";

/** Failed-login limits per name and per address (every test request comes from 127.0.0.1). */

const loginAs = (t: TestServer, name: string, password: string) => call(t, "POST", "/auth/login/", { name, password });

async function failTimes(t: TestServer, name: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) assertError(await loginAs(t, name, `wrong-${i}-password`), 401, "credentials.invalid");
}

describe("failed logins per name", () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ auth: { loginFailuresPerName: 3, loginFailuresPerAddress: 1000, loginWindowSeconds: 2 } });
  });
  after(() => t.stop());

  it("after auth.loginFailuresPerName failures the name is 429 even with the right password, in any case and for session keys", async () => {
    const name = newName("Target");
    await register(t, name);
    await failTimes(t, name, 3);
    assertError(await loginAs(t, name, PASSWORD), 429, "rate.limited");
    assertError(await loginAs(t, name.toUpperCase(), PASSWORD), 429, "rate.limited");
    assertError(await call(t, "POST", "/api/sessions", { name, password: PASSWORD }), 429, "rate.limited");
    const other = newName("Bystander");
    await register(t, other);
    assert.equal((await loginAs(t, other, PASSWORD)).status, 200, "other names are not affected");
  });

  it("the block ends when the failures leave auth.loginWindowSeconds", async () => {
    const name = newName("Window");
    await register(t, name);
    await failTimes(t, name, 3);
    const blockedAt = Date.now();
    assertError(await loginAs(t, name, PASSWORD), 429, "rate.limited");
    await new Promise((r) => setTimeout(r, Math.max(0, blockedAt + 2100 - Date.now())));
    assert.equal((await loginAs(t, name, PASSWORD)).status, 200);
  });

  it("a successful login clears the name's count", async () => {
    const name = newName("Forgetful");
    await register(t, name);
    await failTimes(t, name, 2);
    assert.equal((await loginAs(t, name, PASSWORD)).status, 200);
    await failTimes(t, name, 2);
    assert.equal((await loginAs(t, name, PASSWORD)).status, 200, "2 + 2 failures with a success between is not 4");
  });

  it("unknown names are counted too (no free guessing of which names exist)", async () => {
    const ghost = newName("Ghost");
    await failTimes(t, ghost, 3);
    assertError(await loginAs(t, ghost, PASSWORD), 429, "rate.limited");
  });
});

describe("failed logins per address", () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ auth: { loginFailuresPerName: 100, loginFailuresPerAddress: 3, loginWindowSeconds: 60 } });
  });
  after(() => t.stop());

  it("after auth.loginFailuresPerAddress failures across names, the address is 429 for every name", async () => {
    const name = newName("Victim");
    await register(t, name);
    for (let i = 0; i < 3; i++) await failTimes(t, newName("Spray"), 1);
    assertError(await loginAs(t, name, PASSWORD), 429, "rate.limited");
    assertError(await call(t, "POST", "/api/sessions", { name, password: PASSWORD }), 429, "rate.limited");
    // Registration and tokens are not logins: they still work.
    assert.equal((await call(t, "POST", "/auth/anonymous/")).status, 200);
  });
});
