import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { FuseClient, httpLogin, loggedIn, md5, newName, Pull, push } from "../helpers/fuse.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

describe("fuse over HTTP push/pull", () => {
  let t: TestServer;
  const closers: Array<() => void> = [];
  // A fresh server per test: the lobby is shared, and lines from other tests' users would get in the way.
  beforeEach(async () => {
    t = await startTestServer({ fuse: { noopMs: 200, sessionIdleMs: 600 } });
  });
  afterEach(async () => {
    for (const close of closers.splice(0)) close();
    await t.stop();
  });

  const pull = async (name: string, opts: Parameters<typeof Pull.open>[2]) => {
    const p = await Pull.open(t, name, opts);
    closers.push(() => p.close());
    return p;
  };

  it("register, salt and open over /push; open|done sets an HttpOnly session cookie", async () => {
    const name = newName();
    const reg = await push(t, name, "user||");
    assert.equal(reg.status, 200);
    assert.match(reg.text, /^user\|done\|[0-9a-f]{32}\|\d+$/);
    assert.match(String(reg.headers["content-type"]), /^text\/plain/);
    const key = reg.text.split("|")[2];
    const salt = (await push(t, name, "salt")).text.split("|")[2];
    const open = await push(t, name, `open|${salt}|${md5(key + salt)}`);
    assert.equal(open.text, "open|done");
    const setCookie = (open.headers["set-cookie"] as string[]).find((c) => c.startsWith("fuse="));
    assert.match(String(setCookie), /HttpOnly/);
    assert.match(String(setCookie), /Path=\//);
    assert.equal((await push(t, name, "ping", { cookie: open.cookie })).text, "ping|done");
  });

  it("the cookie is the session: without it (or with another name) a push is not authorized", async () => {
    const name = newName();
    const cookie = await httpLogin(t, name);
    assert.equal((await push(t, name, "ping")).text, "main|fail|user not authorized");
    assert.equal((await push(t, name, "ping", { cookie: "forged" })).text, "main|fail|user not authorized");
    assert.equal((await push(t, newName(), "ping", { cookie })).text, "main|fail|user not authorized");
    assert.equal((await push(t, "", "ping", { cookie })).text, "main|fail|name missing");
    assert.equal((await push(t, "ab", "ping", { cookie })).text, "main|fail|name too short");
    assert.equal((await push(t, name, "ping", { cookie })).text, "ping|done");
  });

  it("pull starts with noop, then streams the broadcasts; replies stay in the push body", async () => {
    const name = newName();
    const cookie = await httpLogin(t, name);
    const p = await pull(name, { cookie });
    assert.match(String(p.res.headers["content-type"]), /^text\/plain/);
    assert.equal(await p.next(), "noop");
    const ws = await loggedIn(t, "ws");
    closers.push(() => ws.close());
    assert.equal(await p.nextReal(), `here|${ws.name}`);
    assert.equal((await push(t, name, "chat|hi from http", { cookie })).text, "chat|done");
    assert.equal(await p.nextReal(), `text|${name}|hi from http`);
    assert.equal(await ws.waitFor((l) => l.startsWith("text|")), `text|${name}|hi from http`);
    assert.equal(await ws.cmd("chat|hi from ws"), "chat|done");
    assert.equal(await p.nextReal(), `text|${ws.name}|hi from ws`);
    ws.close();
    assert.equal(await p.nextReal(), `kill|${ws.name}`);
  });

  it("lines that came before the first pull wait for it", async () => {
    const name = newName();
    const cookie = await httpLogin(t, name);
    assert.equal((await push(t, name, "room|race|2", { cookie })).text, "room|done");
    const ws = await loggedIn(t, "ws");
    closers.push(() => ws.close());
    assert.equal(await ws.cmd(`join|${name}`), "join|done");
    const p = await pull(name, { cookie });
    assert.equal(await p.next(), "noop");
    assert.equal(await p.next(), `here|${ws.name}`);
  });

  it("with Accept: text/event-stream the pull is Server-Sent Events", async () => {
    const name = newName();
    const cookie = await httpLogin(t, name);
    const p = await pull(name, { cookie, sse: true });
    assert.match(String(p.res.headers["content-type"]), /^text\/event-stream/);
    assert.equal(await p.next(), "noop");
    await push(t, name, "chat|sse works", { cookie });
    assert.equal(await p.nextReal(), `text|${name}|sse works`);
    assert.ok(p.raw.startsWith("data: noop\n\n"), JSON.stringify(p.raw));
    assert.ok(p.raw.includes(`data: text|${name}|sse works\n\n`));
  });

  it("an idle pull gets noop every fuse.noopMs", async () => {
    const name = newName();
    const cookie = await httpLogin(t, name);
    const p = await pull(name, { cookie });
    const started = Date.now();
    for (let i = 0; i < 4; i++) assert.equal(await p.next(1000), "noop");
    const took = Date.now() - started;
    assert.ok(took >= 450 && took < 2000, `three noop intervals of 200 ms took ${took} ms`);
  });

  it("a new pull replaces the old one, which ends", async () => {
    const name = newName();
    const cookie = await httpLogin(t, name);
    const first = await pull(name, { cookie });
    assert.equal(await first.next(), "noop");
    const second = await pull(name, { cookie });
    assert.equal(await second.next(), "noop");
    await first.waitEnd();
    await push(t, name, "chat|to the new pull", { cookie });
    assert.equal(await second.nextReal(), `text|${name}|to the new pull`);
  });

  it("a pull needs the session: 401 user not authorized, 400 for a missing name", async () => {
    const name = newName();
    await httpLogin(t, name);
    const res = await fetch(`${t.url}/pull?name=${name}`);
    assert.equal(res.status, 401);
    assert.equal(await res.text(), "main|fail|user not authorized");
    const missing = await fetch(`${t.url}/pull`);
    assert.equal(missing.status, 400);
    assert.equal(await missing.text(), "main|fail|name missing");
  });

  it("CORS: the request's Origin is allowed back, preflights included; no credentials for an origin not in fuse.allowedOrigins (default none)", async () => {
    const origin = "https://game.example";
    const res = await push(t, newName(), "salt", { headers: { origin } });
    assert.equal(res.headers["access-control-allow-origin"], origin);
    assert.equal(res.headers["access-control-allow-credentials"], undefined);
    const pre = await fetch(`${t.url}/push`, { method: "OPTIONS", headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type" } });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get("access-control-allow-origin"), origin);
    assert.match(String(pre.headers.get("access-control-allow-methods")), /POST/);
    assert.equal(pre.headers.get("access-control-allow-headers"), "content-type");
    const name = newName();
    const cookie = await httpLogin(t, name);
    const p = await pull(name, { cookie, origin });
    assert.equal(p.res.headers["access-control-allow-origin"], origin);
    assert.equal(p.res.headers["access-control-allow-credentials"], undefined);
  });

  it("POST carries the line as the body, or as a form", async () => {
    const name = newName();
    const cookie = await httpLogin(t, name);
    assert.equal((await push(t, name, "", { cookie, method: "POST", body: "ping" })).text, "ping|done");
    const form = new URLSearchParams({ name, data: "chat|a+b & c" }).toString();
    const res = await push(t, "", "", { cookie, method: "POST", body: form, headers: { "content-type": "application/x-www-form-urlencoded" } });
    assert.equal(res.text, "chat|done");
    // curl -d sends raw text labelled as a form: without a data field, the body is the line.
    const raw = await push(t, name, "", { cookie, method: "POST", body: "room|race|4", headers: { "content-type": "application/x-www-form-urlencoded" } });
    assert.equal(raw.text, "room|done");
  });

  it("exit ends the session: the cookie is cleared, the pull ends, the room hears kill", async () => {
    const ws = await loggedIn(t, "ws");
    closers.push(() => ws.close());
    const name = newName();
    const cookie = await httpLogin(t, name);
    assert.equal(await ws.waitFor((l) => l === `here|${name}`), `here|${name}`);
    const p = await pull(name, { cookie });
    const exit = await push(t, name, "exit", { cookie });
    assert.equal(exit.text, "exit|done");
    assert.equal(exit.cookie, "");
    await p.waitEnd();
    assert.equal(await ws.next(), `kill|${name}`);
    assert.equal((await push(t, name, "ping", { cookie })).text, "main|fail|user not authorized");
  });

  it("a session with no pull and no push for fuse.sessionIdleMs is logged out", async () => {
    const ws = await loggedIn(t, "ws");
    closers.push(() => ws.close());
    const name = newName();
    const cookie = await httpLogin(t, name);
    assert.equal(await ws.waitFor((l) => l === `here|${name}`), `here|${name}`);
    assert.equal(await ws.next(2000), `kill|${name}`);
    assert.equal((await push(t, name, "ping", { cookie })).text, "main|fail|user not authorized");
  });

  it("an attached pull keeps the session alive past the idle time", async () => {
    const name = newName();
    const cookie = await httpLogin(t, name);
    const p = await pull(name, { cookie });
    await new Promise((r) => setTimeout(r, 900));
    assert.equal((await push(t, name, "ping", { cookie })).text, "ping|done");
    assert.ok(!p.ended);
  });

  it("logging in over the WebSocket replaces the HTTP session: its pull ends", async () => {
    const name = newName();
    const reg = await push(t, name, "user||");
    const key = reg.text.split("|")[2];
    const salt = (await push(t, name, "salt")).text.split("|")[2];
    const cookie = (await push(t, name, `open|${salt}|${md5(key + salt)}`)).cookie!;
    const p = await pull(name, { cookie });
    const ws = await FuseClient.connect(t, name);
    closers.push(() => ws.close());
    assert.equal(await ws.open(key), "open|done");
    await p.waitEnd();
    assert.equal((await push(t, name, "ping", { cookie })).text, "main|fail|user not authorized");
    assert.equal(await ws.cmd("ping"), "ping|done");
  });
});

describe("fuse legacy mode", () => {
  it("accepts the name alone as the HTTP session (off by default)", async () => {
    const t = await startTestServer({ fuse: { legacy: true } });
    try {
      const name = newName();
      await httpLogin(t, name);
      assert.equal((await push(t, name, "ping")).text, "ping|done");
      const p = await Pull.open(t, name);
      assert.equal(await p.next(), "noop");
      await push(t, name, "chat|no cookie");
      assert.equal(await p.nextReal(), `text|${name}|no cookie`);
      p.close();
    } finally {
      await t.stop();
    }
  });
});
