import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { browserSkipReason, launchBrowser, screenshot } from "../helpers/browser.js";
import type { TestServer } from "../helpers/server.js";
import type { TestClient } from "../helpers/ws-client.js";
import { frame, ADMIN_KEY, instalk, join, newRoom, ok, send, startAdminServer } from "./admin-client.js";
import { ensureAdminBuild } from "./admin-web.js";

/**
 * The dashboard at /admin in headless Chromium against a real server, with
 * real instalk clients on the other side of every action.
 */

const skip = browserSkipReason();
const WAIT = 20_000;

describe("admin dashboard", { skip: skip ?? false }, () => {
  let t: TestServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const sockets: TestClient[] = [];

  before(async () => {
    await ensureAdminBuild();
    // Heartbeats every 200 ms: the registry's connection counts reach the overview quickly.
    t = await startAdminServer({ cluster: { heartbeatMs: 200, deadAfterMs: 5000 } });
    browser = await launchBrowser();
  });
  after(async () => {
    for (const c of sockets) c.terminate();
    await Promise.allSettled(contexts.map((c) => c.close()));
    await browser?.close();
    await t?.stop();
  });

  /** A fresh browser profile (its own sessionStorage), failing the test on any error the page throws. */
  async function newPage(): Promise<{ page: Page; errors: string[] }> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(WAIT);
    const errors: string[] = [];
    page.on("pageerror", (err) => errors.push(err.message));
    page.on("console", (msg) => {
      // A refused request is logged by the browser itself; anything else the page says at error level is a bug.
      if (msg.type() === "error" && !/status of 40[14]/.test(msg.text())) errors.push(msg.text());
    });
    return { page, errors };
  }

  async function signIn(page: Page): Promise<void> {
    await page.goto(`${t.url}/admin/`);
    await page.getByTestId("admin-key").fill(ADMIN_KEY);
    await page.getByTestId("sign-in-submit").click();
    await page.getByTestId("nav-rooms").waitFor();
  }

  async function client(): Promise<{ c: TestClient; user: { [key: string]: any } }> {
    const s = await instalk(t);
    sockets.push(s.c);
    return s;
  }

  it("signed out, /admin shows the sign-in form and nothing of the server; the API answers 401; a wrong key is refused", async () => {
    const room = newRoom("secret-room");
    const someone = await client();
    await join(someone.c, room);
    const { page, errors } = await newPage();
    const asked: string[] = [];
    page.on("request", (req) => asked.push(new URL(req.url()).pathname));
    await page.goto(`${t.url}/admin/rooms/${room}`);
    await page.getByTestId("sign-in").waitFor();
    const text = await page.locator("body").innerText();
    for (const secret of [room, t.server.core.broker.nodeId, someone.user.username]) assert.ok(!text.includes(secret), `the page shows ${secret}`);
    assert.deepEqual(asked.filter((p) => p.startsWith("/api/")), [], "a signed-out page asks the API nothing");
    const status = await page.evaluate(async () => (await fetch("/api/admin/rooms")).status);
    assert.equal(status, 401);
    await screenshot(page, "admin", "01-signed-out");
    await page.getByTestId("admin-key").fill("not-the-key-0123456789");
    await page.getByTestId("sign-in-submit").click();
    assert.match(await page.getByTestId("sign-in-error").innerText(), /refused/);
    assert.equal(await page.evaluate(() => sessionStorage.length), 0, "a refused key is not kept");
    assert.deepEqual(errors, []);
  });

  it("signed in: live overview; a room appears when a client joins; its message in the live tail; publish as the system; kick", async () => {
    const { page, errors } = await newPage();
    await signIn(page);
    await page.getByTestId("node-count").filter({ hasText: "1" }).waitFor();
    await page.getByTestId("stream-state").filter({ hasText: "live" }).waitFor();
    const sockets0 = await page.getByTestId("connections-total").innerText();
    const watcher = await client();
    // The count moves without a reload: pushed over the stream from the registry.
    await page.waitForFunction((before) => Number(document.querySelector('[data-testid="connections-total"]')?.textContent) > Number(before), sockets0, { timeout: WAIT });
    await screenshot(page, "admin", "02-overview");

    await page.getByTestId("nav-rooms").click();
    await page.getByTestId("room-search").waitFor();
    const room = newRoom("dash");
    await page.getByTestId("room-search").fill(room);
    const member = await client();
    await join(member.c, room);
    const row = page.getByTestId(`room-row-${room}`);
    await row.waitFor();
    await row.getByTestId("room-members").filter({ hasText: "1" }).waitFor();
    await screenshot(page, "admin", "03-rooms");

    await row.getByRole("link", { name: room }).click();
    assert.equal(await page.getByTestId("room-title").innerText(), room);
    assert.equal(new URL(page.url()).pathname, `/admin/rooms/${room}`);
    await page.getByTestId(`member-${member.user.id}`).waitFor();
    await page.getByTestId("stream-state").filter({ hasText: "live" }).waitFor();
    // A second member joins while the page watches: the member list follows.
    await join(watcher.c, room);
    await page.getByTestId(`member-${watcher.user.id}`).waitFor();

    member.c.send({ r: room, o: "msg", data: { body: "hello from instalk" } });
    await page.getByTestId("tail").getByText("hello from instalk").waitFor();

    await page.getByTestId("room-publish-body").fill("hello from the operator");
    await page.getByTestId("room-publish-send").click();
    const got = await frame(member.c, (f) => f.r === room && f.o === "msg" && f.data.body === "hello from the operator", WAIT);
    assert.equal(got.data.sid, "system");
    await page.getByTestId("tail").getByText("hello from the operator").waitFor();
    await page.getByTestId("history").getByText("hello from instalk").waitFor();
    await screenshot(page, "admin", "04-room");

    await page.getByTestId(`member-${member.user.id}`).getByTestId("kick").click();
    const bye = await frame(member.c, (f) => f.r === room && f.o === "room-bye", WAIT);
    assert.deepEqual(bye.reason, { code: "room.kicked" });
    await page.getByTestId(`member-${member.user.id}`).waitFor({ state: "detached" });
    await page.getByTestId(`member-${watcher.user.id}`).getByTestId("ban").click();
    assert.deepEqual((await frame(watcher.c, (f) => f.r === room && f.o === "room-bye", WAIT)).reason, { code: "room.banned" });
    await page.getByTestId("no-members").waitFor();
    await page.getByTestId("bans").getByText(watcher.user.id).waitFor();
    await screenshot(page, "admin", "05-kicked");
    assert.deepEqual(errors, []);
  });

  it("users: every account in name order a page at a time; the search narrows by part of a name or mail; revoke shows in the row", async () => {
    // Straight into the store: sixty password hashes would only slow the test down.
    const tag = `dashlist-${process.pid % 100_000}`;
    const ids = Array.from({ length: 55 }, (_, i) => `${tag}-id-${i}`);
    for (const [i, id] of ids.entries()) {
      const n = String(i).padStart(2, "0");
      const account = { id, name: `${tag}-${n}`, mail: `m${n}@${tag}.example`, passwordHash: null, color: "#336699", created: Date.now(), meta: {} };
      await t.server.core.store.accounts.create(account);
    }
    const { page, errors } = await newPage();
    const row = (i: number) => page.getByTestId(`account-row-${ids[i]}`);
    await signIn(page);
    await page.getByTestId("nav-users").click();
    await page.getByTestId("accounts").waitFor();
    await page.getByTestId("account-search").fill(tag.toUpperCase());
    // The search applies after a pause in typing: wait until the table shows it, or a late search would reset the paging below.
    await page.locator(`[data-testid="accounts"][data-query="${tag.toUpperCase()}"]`).waitFor();
    await row(0).waitFor();
    await row(49).waitFor();
    assert.equal(await page.getByTestId("accounts").locator("tbody tr").count(), 50, "one page of 50");
    await page.getByTestId("accounts-next").click();
    await row(54).waitFor();
    await row(0).waitFor({ state: "detached" });
    assert.equal(await page.getByTestId("accounts").locator("tbody tr").count(), 5);
    assert.equal(await page.getByTestId("accounts-next").isDisabled(), true, "the last page");
    await page.getByTestId("accounts-prev").click();
    await row(0).waitFor();
    await page.getByTestId("account-search").fill(`M07@${tag}`);
    await page.locator(`[data-testid="accounts"][data-query="M07@${tag}"]`).waitFor();
    await row(7).waitFor();
    await row(0).waitFor({ state: "detached" });
    assert.equal(await page.getByTestId("accounts").locator("tbody tr").count(), 1, "by part of a mail");
    await row(7).getByRole("button", { name: "Revoke tokens and keys" }).click();
    await row(7).getByRole("status").waitFor();
    await row(7).locator("td").nth(4).filter({ hasNotText: "—" }).waitFor();
    await screenshot(page, "admin", "06-users");
    await page.getByTestId("account-search").fill(`${tag}-none`);
    await page.getByTestId("no-accounts").waitFor();
    assert.deepEqual(errors, []);
  });

  it("disconnect from a room's member list closes that user's token-authenticated socket; configuration shows secrets redacted", async () => {
    const made = await ok(t, "POST", "/api/admin/accounts", { name: `dash-${process.pid % 10_000}`, password: "correct horse battery" }, 201);
    const token = (await ok(t, "POST", `/api/admin/accounts/${made.id}/tokens`, {}, 201)).accessToken as string;
    const s = await instalk(t, `?token=${encodeURIComponent(token)}`);
    sockets.push(s.c);
    const room = newRoom("dash");
    await join(s.c, room);
    const { page, errors } = await newPage();
    await signIn(page);
    await page.goto(`${t.url}/admin/rooms/${room}`);
    await page.getByTestId(`member-${made.id}`).getByTestId("disconnect").click();
    await s.c.waitClose(WAIT);
    await page.getByTestId("no-members").waitFor();

    await page.getByTestId("nav-configuration").click();
    const effective = page.getByTestId("effective");
    await effective.getByText('"adminKey": "[redacted]"').waitFor();
    assert.ok(!(await effective.innerText()).includes(ADMIN_KEY));
    await screenshot(page, "admin", "07-config");
    // Signing out forgets the key: the next visit is signed out.
    await page.getByTestId("sign-out").click();
    await page.getByTestId("sign-in").waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.length), 0);
    assert.equal((await send(t, "GET", "/api/admin/stats")).status, 401);
    assert.deepEqual(errors, []);
  });
});
