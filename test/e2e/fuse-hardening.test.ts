import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Socket } from "node:net";
import { FuseClient, loggedIn, md5, newName, Pull, push, register } from "../helpers/fuse.js";
import { initialised, type Peer } from "../helpers/instalk.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { TestClient } from "../helpers/ws-client.js";

/** Runs `body` against a server of its own with `overrides`. */
async function withServer(overrides: Record<string, unknown>, body: (t: TestServer) => Promise<void>): Promise<void> {
  const t = await startTestServer(overrides);
  try {
    await body(t);
  } finally {
    await t.stop();
  }
}

/** `salt`, then `open` with md5(secret + salt): the open's reply. */
async function openWith(c: FuseClient, secret: string): Promise<string> {
  const salt = (await c.cmd("salt")).split("|")[2];
  return c.cmd(`open|${salt}|${md5(secret + salt)}`);
}

/** Cases found in review: shared presence, login and registration throttling, CORS, reply order, a broken cookie. */
describe("fuse: hardening from review", () => {
  it("an instalk user in the core room game.<creator> is not a fuse occupant: capacity, list and here ignore it; chat still bridges", async () => {
    await withServer({}, async (t) => {
      const zoe = await loggedIn(t, "zoe");
      const bob = await loggedIn(t, "bob");
      assert.equal(await zoe.next(), `here|${bob.name}`);
      assert.equal(await zoe.cmd("room|race|2"), "room|done");
      assert.equal(await bob.next(), `made|${zoe.name}+race+2`);

      const guest: Peer = await initialised(await TestClient.connect(t.ws("/websocket")));
      const room = `game.${zoe.name.toLowerCase()}`;
      const welcome = await guest.join(room);
      assert.ok(await zoe.silentFor(150), "the fuse room hears no here about the instalk guest");

      assert.equal(await bob.cmd("list|room"), `list|done|room|${zoe.name}+race+2`, "the room still has space");
      assert.equal(await bob.cmd("info|room"), "info|done|1");
      assert.equal(await bob.cmd(`join|${zoe.name}`), "join|done", "the guest does not fill the room");
      assert.equal(await bob.next(), `here|${zoe.name}`);
      assert.ok(await bob.silentFor(150), "no here for the instalk guest");
      assert.equal(await zoe.next(), `here|${bob.name}`);

      assert.deepEqual(welcome.members, [], "instalk does not list fuse players as room members");

      // Chat is a stored core room message: it still crosses dialects.
      assert.equal(await bob.cmd("chat|hello instalk"), "chat|done");
      assert.equal((await guest.op(room, "msg")).data.body, "hello instalk");
      await guest.said(room, "hello fuse");
      assert.equal(await zoe.waitFor((l) => l.endsWith("|hello fuse")), `text|${guest.user.username}|hello fuse`);
      zoe.close();
      bob.close();
      await guest.close();
    });
  });

  it("open is throttled per name: past auth.loginFailuresPerName wrong passes, even the right hash gets open|fail|too many attempts", async () => {
    await withServer({ auth: { loginFailuresPerName: 3, loginFailuresPerAddress: 1000 } }, async (t) => {
      const name = newName("victim");
      const { key } = await register(t, name);
      // Spread over sockets: the count is the name's, not the connection's.
      for (let i = 0; i < 3; i++) {
        const c = await FuseClient.connect(t, name);
        assert.equal(await openWith(c, `guess${i}`), "open|fail|wrong pass");
        c.close();
      }
      const c = await FuseClient.connect(t, name);
      assert.equal(await openWith(c, key), "open|fail|too many attempts");
      assert.equal(await c.cmd("ping"), "main|fail|user not authorized");
      c.close();
      // Over HTTP too, from the same address.
      const salt = (await push(t, name, "salt")).text.split("|")[2];
      assert.equal((await push(t, name, `open|${salt}|${md5(key + salt)}`)).text, "open|fail|too many attempts");
      // Other names are not affected.
      const other = newName("other");
      const mine = await register(t, other);
      const o = await FuseClient.connect(t, other);
      assert.equal(await openWith(o, mine.key), "open|done");
      o.close();
    });
  });

  it("open is throttled per address: past auth.loginFailuresPerAddress failures from one address, its right hashes are refused too", async () => {
    await withServer({ auth: { loginFailuresPerName: 1000, loginFailuresPerAddress: 3 } }, async (t) => {
      for (let i = 0; i < 3; i++) {
        const name = newName("target");
        await register(t, name);
        const c = await FuseClient.connect(t, name);
        assert.equal(await openWith(c, "guess"), "open|fail|wrong pass");
        c.close();
      }
      const name = newName("legit");
      const { key } = await register(t, name);
      const here = await FuseClient.connect(t, name);
      assert.equal(await openWith(here, key), "open|fail|too many attempts");
      here.close();
      const elsewhere = await FuseClient.connect(t, name, { localAddress: "127.0.0.2" });
      assert.equal(await openWith(elsewhere, key), "open|done", "another address is not blocked");
      elsewhere.close();
    });
  });

  it("an anonymous user expires after fuse.anonymousTtlSeconds without an open; each open starts the time again", async () => {
    await withServer({ fuse: { anonymousTtlSeconds: 1 } }, async (t) => {
      const reg = async () => {
        const c = await FuseClient.connect(t, "");
        const [, status, key, id] = (await c.cmd("user||")).split("|");
        assert.equal(status, "done");
        c.close();
        return { key, id };
      };
      const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
      const kept = await reg();
      const dropped = await reg();
      await sleep(600);
      const first = await FuseClient.connect(t, kept.id);
      assert.equal(await openWith(first, kept.key), "open|done");
      first.close();
      await sleep(800);
      // 1.4 s after registering: the one that opened at 0.6 s lives on, the other is gone.
      const again = await FuseClient.connect(t, kept.id);
      assert.equal(await openWith(again, kept.key), "open|done");
      again.close();
      const gone = await FuseClient.connect(t, dropped.id);
      assert.equal(await openWith(gone, dropped.key), "open|fail|user not found");
      gone.close();
    });
  });

  it("user registrations are counted per address (auth.creationsPerAddress): past it, user|fail|too many attempts", async () => {
    await withServer({ auth: { creationsPerAddress: 3 } }, async (t) => {
      const reply = async (name: string, localAddress?: string) => {
        const c = await FuseClient.connect(t, name, { localAddress });
        const line = await c.cmd("user||");
        c.close();
        return line;
      };
      assert.match(await reply(""), /^user\|done\|/);
      assert.match(await reply(newName()), /^user\|done\|/);
      assert.match(await reply(""), /^user\|done\|/);
      assert.equal(await reply(""), "user|fail|too many attempts");
      assert.equal(await reply(newName()), "user|fail|too many attempts");
      assert.equal((await push(t, newName(), "user||")).text, "user|fail|too many attempts", "over HTTP too");
      assert.match(await reply(newName(), "127.0.0.2"), /^user\|done\|/, "another address has its own count");
    });
  });

  describe("CORS and the session cookie", () => {
    const listed = "https://game.example";
    const evil = "https://evil.example";
    const opts = { fuse: { allowedOrigins: [listed] } };

    async function open(t: TestServer, name: string, headers: Record<string, string>) {
      const key = (await push(t, name, "user||")).text.split("|")[2];
      const salt = (await push(t, name, "salt")).text.split("|")[2];
      const res = await push(t, name, `open|${salt}|${md5(key + salt)}`, { headers });
      assert.equal(res.text, "open|done");
      const setCookie = (res.headers["set-cookie"] as string[]).find((c) => c.startsWith("fuse="));
      return { cookie: res.cookie!, setCookie: String(setCookie) };
    }

    it("every Origin is echoed, but Access-Control-Allow-Credentials only for fuse.allowedOrigins", async () => {
      await withServer(opts, async (t) => {
        const fromEvil = await push(t, newName(), "salt", { headers: { origin: evil } });
        assert.equal(fromEvil.headers["access-control-allow-origin"], evil);
        assert.equal(fromEvil.headers["access-control-allow-credentials"], undefined);
        const fromListed = await push(t, newName(), "salt", { headers: { origin: listed } });
        assert.equal(fromListed.headers["access-control-allow-origin"], listed);
        assert.equal(fromListed.headers["access-control-allow-credentials"], "true");
        const pre = await fetch(`${t.url}/push`, { method: "OPTIONS", headers: { origin: evil, "access-control-request-method": "POST" } });
        assert.equal(pre.status, 204);
        assert.equal(pre.headers.get("access-control-allow-origin"), evil);
        assert.equal(pre.headers.get("access-control-allow-credentials"), null);
        const name = newName();
        const { cookie } = await open(t, name, {});
        const p = await Pull.open(t, name, { cookie, origin: evil });
        assert.equal(p.res.headers["access-control-allow-origin"], evil);
        assert.equal(p.res.headers["access-control-allow-credentials"], undefined);
        p.close();
      });
    });

    it("the cookie is SameSite=Lax unless the open came over https from a listed origin (then None; Secure)", async () => {
      await withServer(opts, async (t) => {
        const https = { "x-forwarded-proto": "https" };
        const listedTls = await open(t, newName(), { ...https, origin: listed });
        assert.match(listedTls.setCookie, /SameSite=None/);
        assert.match(listedTls.setCookie, /Secure/);
        const others: Array<Record<string, string>> = [{ ...https, origin: evil }, https, { origin: listed }, {}];
        for (const headers of others) {
          const { setCookie } = await open(t, newName(), headers);
          assert.match(setCookie, /SameSite=Lax/, JSON.stringify(headers));
          assert.doesNotMatch(setCookie, /SameSite=None/, JSON.stringify(headers));
        }
      });
    });

    it("a cross-site request from an unlisted origin does not use the session; a listed one does", async () => {
      await withServer(opts, async (t) => {
        const name = newName();
        const { cookie } = await open(t, name, { "x-forwarded-proto": "https", origin: listed });
        const crossSite = (origin?: string) => ({ "sec-fetch-site": "cross-site", ...(origin ? { origin } : {}) });
        assert.equal((await push(t, name, "chat|spam", { cookie, headers: crossSite(evil) })).text, "main|fail|user not authorized");
        assert.equal((await push(t, name, "chat|spam", { cookie, headers: crossSite() })).text, "main|fail|user not authorized", "a link or an image: no Origin");
        assert.equal((await push(t, name, "ping", { cookie, headers: crossSite(listed) })).text, "ping|done");
        assert.equal((await push(t, name, "ping", { cookie, headers: { "sec-fetch-site": "same-site", origin: "https://www.game.example" } })).text, "ping|done");
        const res = await fetch(`${t.url}/pull?name=${name}`, { headers: { cookie: `fuse=${encodeURIComponent(cookie)}`, ...crossSite(evil) } });
        assert.equal(res.status, 401);
        assert.equal(await res.text(), "main|fail|user not authorized");
      });
    });
  });

  it("WebSocket: refusals wait behind earlier lines (five unknown lines, burst 3: not found ×3, then rate limited ×2)", async () => {
    await withServer({ limits: { messagesPerSecond: 0.01, burst: 3 } }, async (t) => {
      const c = await FuseClient.connect(t, "");
      // All five frames in one write, so the server reads them together.
      const socket = (c.ws as unknown as { _socket: Socket })._socket;
      socket.cork();
      for (let i = 1; i <= 5; i++) c.send(`nope${i}`);
      socket.uncork();
      await c.expect("main|fail|type not found", "main|fail|type not found", "main|fail|type not found", "main|fail|rate limited", "main|fail|rate limited");
      c.close();
    });
  });

  it("push: a rate-limit refusal waits for the replies to the address's earlier lines", async () => {
    await withServer({ limits: { messagesPerSecond: 0.01, burst: 3 } }, async (t) => {
      const arrived: string[] = [];
      const sent: Array<Promise<void>> = [];
      // Three registrations (each a slow password hash), then two lines over the allowance, each on its own connection.
      const lines = ["user||", "user||", "user||", "ping", "ping"];
      for (const line of lines) {
        sent.push(push(t, newName(), line).then((r) => void arrived.push(r.text.split("|").slice(0, 2).join("|"))));
        await new Promise((r) => setTimeout(r, 25));
      }
      await Promise.all(sent);
      assert.deepEqual(arrived, ["user|done", "user|done", "user|done", "main|fail", "main|fail"]);
    });
  });

  it("a fuse cookie that is not valid percent-encoding is no session, not a 500", async () => {
    await withServer({}, async (t) => {
      const name = newName();
      const res = await push(t, name, "ping", { headers: { cookie: "fuse=%E0" } });
      assert.equal(res.status, 200);
      assert.equal(res.text, "main|fail|user not authorized");
      const pull = await fetch(`${t.url}/pull?name=${name}`, { headers: { cookie: "fuse=%E0" } });
      assert.equal(pull.status, 401);
      assert.equal(await pull.text(), "main|fail|user not authorized");
    });
  });
});
