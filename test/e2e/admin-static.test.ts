import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { staticRoutes } from "../../src/api/static-routes.js";
import { webAppDir } from "../../src/api/web-root.js";
import type { TestServer } from "../helpers/server.js";
import { send, startAdminServer } from "./admin-client.js";
import { ADMIN_DIST, ensureAdminBuild } from "./admin-web.js";

/** The web apps the server serves itself: files, types, caching, the SPA fallback, and nothing outside their folders. */

const get = (base: string, path: string, headers: Record<string, string> = {}) => fetch(`${base}${path}`, { headers, redirect: "manual" });

/** The routes of `staticRoutes` on a plain HTTP server, over folders this test makes (the real server's are dist/web/*). */
async function serveFolders(apps: { admin: string; chat: string }, t: TestServer): Promise<{ url: string; server: Server }> {
  const routes = staticRoutes({ core: t.server.core, config: t.server.config, log: t.server.log }, apps);
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const route = routes.find((r) => r.match(url.pathname));
    if (!route) return void res.writeHead(599).end();
    void route.handle(req, res, url);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

let t: TestServer;
before(async () => {
  await ensureAdminBuild();
  t = await startAdminServer();
});
after(() => t.stop());

describe("the admin dashboard's files", () => {
  it("/admin, /admin/ and client-side routes are the app's page, with a strict policy and no caching", async () => {
    for (const path of ["/admin", "/admin/", "/admin/rooms", "/admin/rooms/lobby", "/admin/index.html"]) {
      const res = await get(t.url, path);
      assert.equal(res.status, 200, path);
      assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8");
      assert.equal(res.headers.get("cache-control"), "no-cache");
      assert.match(res.headers.get("content-security-policy") ?? "", /default-src 'self'/);
      assert.match(res.headers.get("content-security-policy") ?? "", /frame-ancestors 'none'/);
      assert.equal(res.headers.get("x-content-type-options"), "nosniff");
      assert.match(await res.text(), /<div id="app"><\/div>/);
    }
  });

  it("hashed assets get their type and a year of immutable caching; a missing asset is a 404, not the page", async () => {
    const assets = await readdir(join(ADMIN_DIST, "assets"));
    const js = assets.find((f) => f.endsWith(".js"))!;
    const css = assets.find((f) => f.endsWith(".css"))!;
    const script = await get(t.url, `/admin/assets/${js}`);
    assert.equal(script.status, 200);
    assert.equal(script.headers.get("content-type"), "text/javascript; charset=utf-8");
    assert.equal(script.headers.get("cache-control"), "public, max-age=31536000, immutable");
    assert.equal(Number(script.headers.get("content-length")), (await script.arrayBuffer()).byteLength);
    assert.equal((await get(t.url, `/admin/assets/${css}`)).headers.get("content-type"), "text/css; charset=utf-8");
    const etag = script.headers.get("etag")!;
    assert.equal((await get(t.url, `/admin/assets/${js}`, { "if-none-match": etag })).status, 304);
    const missing = await send(t, "GET", "/admin/assets/nope-12345678.js");
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error, "route.unknown");
    const head = await fetch(`${t.url}/admin/`, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), "");
    assert.equal((await send(t, "POST", "/admin/", {})).status, 405);
  });

  it("no path leaves the app's folder: dot segments, encoded slashes and backslashes, dot-files, NUL", async () => {
    for (const path of [
      "/admin/..%2f..%2fpackage.json",
      "/admin/%2e%2e/%2e%2e/package.json",
      "/admin/assets/..%2f..%2f..%2f..%2fpackage.json",
      "/admin/..%5c..%5cpackage.json",
      "/admin/%2e%2e%2f%2e%2e%2fsrc%2fserver.ts",
      "/admin/.env",
      "/admin/assets/%00.js",
      "/admin/%E0%A4%A",
    ]) {
      const res = await get(t.url, path);
      const text = await res.text();
      assert.ok(res.status === 404 || res.status === 400, `${path}: ${res.status}`);
      assert.ok(!text.includes('"name": "switchboard"') && !text.includes("startServer"), `${path} leaked a file`);
    }
  });
});

describe("the site root", () => {
  it("without a built chat app, / is a small page pointing at /admin and the API document", async (ctx) => {
    if (existsSync(join(webAppDir("chat"), "index.html"))) return ctx.skip("dist/web/chat is built here: / serves it (next test)");
    const res = await get(t.url, "/");
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8");
    const html = await res.text();
    assert.match(html, /href="\/admin\/"/);
    assert.match(html, /href="\/api\/openapi.json"/);
    assert.equal((await get(t.url, "/favicon.ico")).status, 404);
  });

  it("with a chat app, / and its assets are its files; dialect paths are never claimed", async () => {
    const root = await mkdtemp(join(tmpdir(), "sb-static-"));
    const chat = join(root, "chat");
    const adminDir = join(root, "admin");
    await mkdir(join(chat, "assets"), { recursive: true });
    await mkdir(adminDir);
    await writeFile(join(chat, "index.html"), "<!doctype html><title>chat</title>");
    await writeFile(join(chat, "assets", "app-Abcdef12.js"), "console.log(1)");
    await writeFile(join(chat, "favicon.svg"), "<svg/>");
    const { url, server } = await serveFolders({ admin: adminDir, chat }, t);
    try {
      const index = await get(url, "/");
      assert.match(await index.text(), /<title>chat<\/title>/);
      const asset = await get(url, "/assets/app-Abcdef12.js");
      assert.equal(asset.headers.get("cache-control"), "public, max-age=31536000, immutable");
      assert.equal((await get(url, "/favicon.svg")).headers.get("content-type"), "image/svg+xml");
      assert.equal((await get(url, "/assets/missing.js")).status, 404);
      // Not an app route: these fall through to the dialects (599 here: no route of these claimed them).
      for (const path of ["/websocket", "/relay", "/pubsub", "/push", "/pull", "/fuse", "/v0.1/socket", "/websocket/sse", "/healthz"]) {
        assert.equal((await get(url, path)).status, 599, path);
      }
      assert.equal((await get(url, "/admin/")).status, 404, "no admin build in this folder");
    } finally {
      server.close();
      await rm(root, { recursive: true, force: true });
    }
  });
});
