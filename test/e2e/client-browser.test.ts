import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import { createSessionKey } from "../../src/client/relay.js";
import { FuseClient, registerFuse } from "../../src/client/fuse.js";
import { browserSkipReason, launchBrowser } from "../helpers/browser.js";
import { uniqueName, until } from "../helpers/client-kit.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { serveStatic, type StaticServer } from "../helpers/static-server.js";

type Sdk = typeof import("../helpers/browser-sdk.js");
/** What the test page puts on `window`: the SDK, and a wait with a deadline (page functions cannot share code with the test's module). */
type Page$ = { sdk: Sdk; until(check: () => boolean, what: string): Promise<void> };

const PAGE = `<!doctype html><script type="module">
import * as sdk from "./sdk.js";
window.sdk = sdk;
window.until = async (check, what) => {
  for (const end = Date.now() + 20000; !check(); await new Promise((r) => setTimeout(r, 10))) if (Date.now() > end) throw new Error("timed out: " + what);
};
document.title = "ready";
</script>`;

const skip = browserSkipReason();

/**
 * The five clients in headless Chromium: the browser's own WebSocket and
 * fetch, no `ws`. Each scenario runs inside the page and returns what it saw.
 */
describe("the clients in a browser", { skip: skip ?? false }, () => {
  let t: TestServer;
  let app: StaticServer;
  let browser: Browser;
  let page: Page;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "sb-sdk-page-"));
    const { build } = await import("vite");
    await build({
      configFile: false,
      logLevel: "warn",
      build: {
        outDir: dir,
        emptyOutDir: false,
        minify: false,
        lib: { entry: join(import.meta.dirname, "..", "helpers", "browser-sdk.ts"), formats: ["es"], fileName: () => "sdk.js" },
      },
    });
    await writeFile(join(dir, "index.html"), PAGE);
    t = await startTestServer();
    [app, browser] = await Promise.all([serveStatic(dir, () => t.url), launchBrowser()]);
    page = await browser.newPage();
    await page.goto(app.url);
    await page.waitForFunction(() => document.title === "ready");
  });
  after(async () => {
    await browser?.close();
    await app?.close();
    await t?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("instalk: two clients chat; a cut socket reconnects and misses nothing", async () => {
    const seen = await page.evaluate(
      async ({ url, room }) => {
        const { InstalkClient } = (window as unknown as Page$).sdk;
        const reader = new InstalkClient({ url, reconnect: { initialDelayMs: 50, maxDelayMs: 300 } });
        const writer = new InstalkClient({ url });
        await Promise.all([reader.connect(), writer.connect()]);
        await reader.join(room);
        await writer.join(room);
        const got: string[] = [];
        reader.on("message", (m) => got.push(m.event.data.body));
        const sending = Promise.all(Array.from({ length: 120 }, (_, i) => writer.send(room, `w${i + 1}`)));
        const { until } = window as unknown as Page$;
        await until(() => got.length >= 10, "the burst under way");
        reader.reconnectNow();
        await sending;
        await until(() => got.length >= 120, "every message");
        reader.close();
        writer.close();
        return got;
      },
      { url: t.ws(""), room: uniqueName("web") },
    );
    assert.deepEqual(seen, Array.from({ length: 120 }, (_, i) => `w${i + 1}`));
  });

  it("really: a live document and a room watch, across a reconnect", async () => {
    const token = async () => (await (await fetch(`${t.url}/auth/anonymous/`, { method: "POST" })).json()).accessToken as string;
    const [a, b] = [await token(), await token()];
    const out = await page.evaluate(
      async ({ url, a, b, room }) => {
        const { ReallyClient } = (window as unknown as Page$).sdk;
        const editor = new ReallyClient({ url, token: a });
        const viewer = new ReallyClient({ url, token: b, reconnect: { initialDelayMs: 50, maxDelayMs: 300 } });
        await Promise.all([editor.connect(), viewer.connect()]);
        const doc = await editor.create("/pages/", { n: 0 });
        let rev = (await viewer.subscribe(doc._r))._rev;
        viewer.on("updated", (u) => (rev = u.rev));
        viewer.on("snapshot", (s) => (rev = s.rev));
        await editor.create("/rooms/", { name: room });
        await viewer.watchRoom(room);
        const messages: string[] = [];
        viewer.on("message", (m) => messages.push(m.message.body));
        await editor.postMessage(room, "one");
        viewer.reconnectNow();
        const last = await editor.update(doc._r, 1, [{ op: "addNumber", key: "n", value: 1 }]);
        await editor.postMessage(room, "two");
        await viewer.next("recovered", { timeoutMs: 20_000 });
        await (window as unknown as Page$).until(() => messages.length >= 2 && rev >= last, "the live message and revision");
        editor.close();
        viewer.close();
        return { messages, rev, last };
      },
      { url: t.ws(""), a, b, room: uniqueName("webroom") },
    );
    assert.deepEqual(out.messages, ["one", "two"]);
    assert.equal(out.rev, out.last);
  });

  it("pubsub: publish and receive; a resume after a cut replays what was missed, once", async () => {
    const seen = await page.evaluate(
      async ({ url, topic }) => {
        const { PubsubClient } = (window as unknown as Page$).sdk;
        const reader = new PubsubClient({ url, auth: { provider: "anonymous" }, reconnect: { initialDelayMs: 50, maxDelayMs: 300 } });
        const writer = new PubsubClient({ url, auth: { provider: "anonymous" } });
        await Promise.all([reader.connect(), writer.connect()]);
        await reader.subscribe(topic);
        const got: number[] = [];
        reader.on("message", (m) => got.push(m.data as number));
        const publishing = Promise.all(Array.from({ length: 120 }, (_, i) => writer.publish(topic, i + 1)));
        const { until } = window as unknown as Page$;
        await until(() => got.length >= 10, "the burst under way");
        reader.reconnectNow();
        await publishing;
        await until(() => got.length >= 120, "every message");
        reader.close();
        writer.close();
        return got;
      },
      { url: t.ws(""), topic: uniqueName("webtopic").replace(/-/g, ".") },
    );
    assert.deepEqual(seen, Array.from({ length: 120 }, (_, i) => i + 1));
  });

  it("relay: a message and its receipt between two browser clients", async () => {
    const [k1, k2] = await Promise.all([createSessionKey(t.url, { anonymous: true }), createSessionKey(t.url, { anonymous: true })]);
    const out = await page.evaluate(
      async ({ url, k1, k2, room }) => {
        const { RelayClient } = (window as unknown as Page$).sdk;
        const a = new RelayClient({ url, key: k1 });
        const b = new RelayClient({ url, key: k2 });
        await Promise.all([a.connect(), b.connect()]);
        await a.enter(room);
        await b.enter(room);
        const heard = b.next("message");
        await a.send(room, "from the browser");
        const m = await heard;
        const receipt = a.next("read");
        await b.markRead(room, m.message_id);
        const r = await receipt;
        a.close();
        b.close();
        return { content: m.content, read: r.message_id };
      },
      { url: t.ws(""), k1: k1.key, k2: k2.key, room: crypto.randomUUID() },
    );
    assert.deepEqual(out, { content: "from the browser", read: 1 });
  });

  it("fuse over WebSocket and over HTTP push and pull (fetch, the page's own cookie)", async () => {
    const names = [`w${process.pid}x1`, `h${process.pid}x2`];
    const [wsKey, httpKey] = await Promise.all(names.map(async (n) => (await registerFuse(t.url, n)).key));
    const node = new FuseClient({ url: t.url, name: `n${process.pid}x3`, key: (await registerFuse(t.url, `n${process.pid}x3`)).key });
    await node.connect();
    try {
      const heardFromPage: string[] = [];
      node.on("text", (x) => heardFromPage.push(`${x.from}: ${x.text}`));
      const out = await page.evaluate(
        async ({ ws, origin, names, wsKey, httpKey }) => {
          const { FuseClient } = (window as unknown as Page$).sdk;
          const overWs = new FuseClient({ url: ws, name: names[0], key: wsKey });
          // Same origin as the page: the browser keeps the session cookie.
          const overHttp = new FuseClient({ url: origin, name: names[1], key: httpKey, transport: "http", reconnect: { initialDelayMs: 50, maxDelayMs: 300 } });
          await Promise.all([overWs.connect(), overHttp.connect()]);
          const { until } = window as unknown as Page$;
          const heard: string[] = [];
          overHttp.on("text", (x) => heard.push(`${x.from}: ${x.text}`));
          await overWs.chat("hello http");
          await until(() => heard.length >= 1, "a line down the pull");
          // A new pull: the event says it is open (and that lines on the old one may be gone); then lines come down it.
          const reopened = overHttp.next("recovery-failed", { timeoutMs: 20_000 });
          overHttp.reconnectNow();
          await reopened;
          await overWs.chat("after the new pull");
          await until(() => heard.length >= 2, "a line down the new pull");
          await overHttp.chat("hello from http");
          await until(() => heard.length >= 3, "its own line back down the pull");
          const users = await overHttp.info("user");
          overWs.close();
          overHttp.close();
          return { heard, users };
        },
        { ws: t.ws(""), origin: app.url, names, wsKey, httpKey },
      );
      // The room's chat reaches everyone in it, its sender too.
      assert.deepEqual(out.heard, [`${names[0]}: hello http`, `${names[0]}: after the new pull`, `${names[1]}: hello from http`]);
      assert.ok(out.users >= 3);
      await until(() => heardFromPage.includes(`${names[1]}: hello from http`), "the page's HTTP chat at the Node client");
    } finally {
      node.close();
    }
  });
});
