import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { deadUrl, pubsubServer, startVerifier } from "../helpers/pubsub.js";

const verifier = await startVerifier({ "fb-bob": { id: "000000001", name: "Bob" }, "fb-ann": { id: 42, name: "Ann" }, "fb-cat": { id: "c", name: "Cat" } });
const dead = await deadUrl();
after(() => verifier.close());

describe("pubsub connect", () => {
  const h = pubsubServer({
    pubsub: {
      providers: {
        facebook: { verifierUrl: verifier.url, timeoutMs: 300, cacheSeconds: 60 },
        nocache: { verifierUrl: verifier.url, timeoutMs: 300, cacheSeconds: 0 },
        google: { verifierUrl: dead, timeoutMs: 300, cacheSeconds: 60 },
      },
    },
  });

  it("switchboard: one of the server's access tokens connects as its user", async () => {
    const { token, id, name } = await h.anonymousToken();
    const c = await h.client();
    c.send({ op: "connect", type: "request", id: "request_id_1", auth: { provider: "switchboard", access_token: token } });
    const reply = await c.take(() => true);
    assert.deepEqual(Object.keys(reply).sort(), ["id", "op", "session", "type", "user"]);
    assert.equal(reply.op, "connect");
    assert.equal(reply.type, "success");
    assert.equal(reply.id, "request_id_1");
    assert.deepEqual(reply.user, { id, name });
    assert.match(reply.session, /^[A-Za-z0-9_-]{20,}$/);
  });

  it("switchboard: a bad or missing token is 401 Unauthorized, and the socket may try again", async () => {
    const c = await h.client();
    const bad = await c.request("connect", { auth: { provider: "switchboard", access_token: "not-a-token" } });
    assert.deepEqual(bad, { op: "connect", type: "error", id: bad.id, code: 401, message: "Unauthorized" });
    const none = await c.request("connect", { auth: { provider: "switchboard" } });
    assert.equal(none.code, 401);
    await c.connect("anonymous");
  });

  it("a revoked switchboard token ends the socket with a 401", async () => {
    const { token } = await h.anonymousToken();
    const c = await h.client();
    await c.connect("switchboard", token);
    const res = await fetch(`${h.t.url}/auth/revoke/`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ accessToken: token }) });
    assert.equal(res.status, 204);
    const frame = await c.take(() => true);
    assert.equal(frame.code, 401);
    assert.equal(frame.message, "token revoked");
    assert.equal((await c.c.waitClose()).code, 1008);
    // The session went with its credential.
    const again = await h.client();
    assert.equal((await again.request("resume", { session: c.session })).code, 404);
  });

  it("anonymous: a fresh guest each time", async () => {
    const a = await h.client();
    const b = await h.client();
    await a.connect("anonymous");
    await b.connect("anonymous");
    assert.match(a.user.name, /^Guest-\d+$/);
    assert.notEqual(a.user.id, b.user.id);
    assert.notEqual(a.session, b.session);
  });

  it("external: the verifier is asked with {provider, access_token} and its user gets a namespaced id", async () => {
    const c = await h.client();
    await c.connect("facebook", "fb-bob");
    assert.deepEqual(c.user, { id: "facebook:000000001", name: "Bob" });
    assert.deepEqual(verifier.calls.at(-1), { provider: "facebook", access_token: "fb-bob" });
    const n = await h.client();
    await n.connect("facebook", "fb-ann");
    assert.equal(n.user.id, "facebook:42");
  });

  it("external: a refusal is 401", async () => {
    const c = await h.client();
    const reply = await c.request("connect", { auth: { provider: "facebook", access_token: "wrong" } });
    assert.equal(reply.code, 401);
    assert.equal(reply.message, "Unauthorized");
  });

  it("external: answers are cached, so the same token is not asked twice", async () => {
    const before = verifier.calls.length;
    for (let i = 0; i < 3; i++) assert.equal((await (await h.client()).connect("facebook", "fb-cat")).user.name, "Cat");
    assert.equal(verifier.calls.length - before, 1);
    const nocache = verifier.calls.length;
    await (await h.client()).connect("nocache", "fb-ann");
    await (await h.client()).connect("nocache", "fb-ann");
    assert.equal(verifier.calls.length - nocache, 2);
  });

  it("external: a refusal is cached too", async () => {
    const c = await h.client();
    assert.equal((await c.request("connect", { auth: { provider: "facebook", access_token: "nope-cached" } })).code, 401);
    const count = verifier.calls.length;
    assert.equal((await c.request("connect", { auth: { provider: "facebook", access_token: "nope-cached" } })).code, 401);
    assert.equal(verifier.calls.length, count);
  });

  it("external: a slow verifier is 503 after the timeout, not a hang", async () => {
    const c = await h.client();
    const started = Date.now();
    const reply = await c.request("connect", { auth: { provider: "facebook", access_token: "slow" } });
    assert.equal(reply.code, 503);
    assert.equal(reply.message, "Service Unavailable");
    assert.ok(Date.now() - started < 1500, `took ${Date.now() - started} ms`);
  });

  it("external: a verifier that is down, broken or garbled is 503, and nothing of it is cached", async () => {
    const c = await h.client();
    assert.equal((await c.request("connect", { auth: { provider: "google", access_token: "x" } })).code, 503);
    assert.equal((await c.request("connect", { auth: { provider: "facebook", access_token: "broken" } })).code, 503);
    const count = verifier.calls.length;
    assert.equal((await c.request("connect", { auth: { provider: "facebook", access_token: "garbled" } })).code, 503);
    assert.equal((await c.request("connect", { auth: { provider: "facebook", access_token: "garbled" } })).code, 503);
    assert.equal(verifier.calls.length - count, 2);
    await c.connect("anonymous");
  });

  it("an unknown provider is 401; a connect without auth is 400", async () => {
    const c = await h.client();
    assert.equal((await c.request("connect", { auth: { provider: "myspace", access_token: "x" } })).code, 401);
    const bad = await c.request("connect", {});
    assert.equal(bad.code, 400);
    assert.match(bad.message, /^Bad Request/);
  });

  it("any op before connect or resume is 401 with the request's op and id", async () => {
    const c = await h.client();
    for (const op of ["sub", "pub", "unsub", "whatever"]) {
      c.send({ op, type: "request", id: `${op}-1`, topics: ["a"] });
      assert.deepEqual(await c.take(() => true), { op, type: "error", id: `${op}-1`, code: 401, message: "Unauthorized" });
    }
    c.send({ op: "sub", type: "request", id: 7, topics: ["a"] });
    assert.equal((await c.take(() => true)).id, 7);
  });

  it("connect twice is 400 (already connected)", async () => {
    const c = await h.guest();
    const again = await c.request("connect", { auth: { provider: "anonymous" } });
    assert.equal(again.code, 400);
  });
});

describe("pubsub connect without anonymous access", () => {
  const h = pubsubServer({ auth: { allowAnonymous: false }, pubsub: { connectGraceMs: 300 } });

  it("anonymous is 401 when auth.allowAnonymous is off", async () => {
    const c = await h.client();
    assert.equal((await c.request("connect", { auth: { provider: "anonymous" } })).code, 401);
  });

  it("a socket that never connects is closed after pubsub.connectGraceMs", async () => {
    const c = await h.client();
    assert.equal((await c.c.waitClose(2000)).code, 1008);
  });
});
