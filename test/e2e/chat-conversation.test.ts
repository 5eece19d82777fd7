import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Browser } from "playwright-core";
import { register } from "../../src/client/instalk.js";
import { browserSkipReason, launchBrowser, screenshot } from "../helpers/browser.js";
import { bodies, chatDist, ensureChatBuild, joinRoom, openChat, PHONE, say, signedInAs, signIn, waitForMessage } from "../helpers/chat-app.js";
import { uniqueName } from "../helpers/client-kit.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { serveStatic, type StaticServer } from "../helpers/static-server.js";

const skip = browserSkipReason();

describe("web chat: two people in one room", { skip: skip ?? false }, () => {
  let t: TestServer;
  let app: StaticServer;
  let browser: Browser;

  before(async () => {
    await ensureChatBuild();
    t = await startTestServer();
    [app, browser] = await Promise.all([serveStatic(chatDist, () => t.url), launchBrowser()]);
  });
  after(async () => {
    await browser?.close();
    await app?.close();
    await t?.stop();
  });

  it("join one room, chat with names, colours and times, see each other's presence and typing", async () => {
    const room = uniqueName("cafe");
    const ann = `Ann${process.pid}`;
    const ben = `Ben${process.pid}`;
    const a = await openChat(browser, app.url, t.ws(""));
    // Ben is on a phone.
    const b = await openChat(browser, app.url, t.ws(""), PHONE);
    try {
      await signIn(a.page, ann);
      await signIn(b.page, ben);
      await joinRoom(a.page, room);
      await joinRoom(b.page, room);

      // Presence: Ann sees Ben arrive in the member list, live.
      await a.page.getByTestId("member").filter({ hasText: ben }).waitFor({ timeout: 20_000 });

      // Typing: Ann types, Ben's page says so; sending ends it.
      await a.page.getByTestId("message-input").pressSequentially("hel");
      await b.page.getByTestId("typing").filter({ hasText: `${ann} is typing…` }).waitFor({ timeout: 20_000 });
      await say(a.page, "hello Ben");
      await waitForMessage(b.page, "hello Ben");
      await b.page.getByTestId("typing").filter({ hasText: /^$/ }).waitFor({ timeout: 20_000 });

      await say(b.page, "hi Ann!");
      await waitForMessage(a.page, "hi Ann!");
      for (const page of [a.page, b.page]) assert.deepEqual(await bodies(page), ["hello Ben", "hi Ann!"]);

      // The sender's name, in its colour, and a time, on the other side.
      const line = b.page.getByTestId("line").filter({ hasText: "hello Ben" });
      assert.equal(await line.locator(".sender").textContent(), ann);
      assert.match((await line.locator(".sender").getAttribute("style")) ?? "", /color: rgb\(/);
      assert.match((await line.locator("time").textContent()) ?? "", /\d\d?:\d\d/);

      // The topic, set by one, shown to the other.
      await a.page.getByTestId("topic").click();
      await a.page.getByLabel("topic").fill("coffee at ten");
      await a.page.getByLabel("topic").press("Enter");
      await b.page.getByTestId("topic").filter({ hasText: "coffee at ten" }).waitFor({ timeout: 20_000 });

      await screenshot(a.page, "chat", "conversation-desktop");
      await screenshot(b.page, "chat", "conversation-phone");
      // On the phone the members are one tap away.
      await b.page.getByRole("button", { name: "members" }).click();
      await b.page.getByTestId("member").filter({ hasText: ann }).waitFor({ timeout: 20_000 });
      await screenshot(b.page, "chat", "members-phone");

      // Ben leaves: Ann's member list drops him.
      await b.page.getByRole("button", { name: "‹" }).click();
      await b.page.getByRole("button", { name: "rooms" }).click();
      await b.page.getByRole("button", { name: `leave ${room}` }).click();
      await a.page.getByTestId("member").filter({ hasText: ben }).waitFor({ state: "detached", timeout: 20_000 });
    } finally {
      await a.context.close();
      await b.context.close();
    }
  });

  it("signs in with an account (POST /auth/login/) and is shown as verified", async () => {
    const name = `acct${process.pid}`;
    await register(t.url, { name, password: "correct horse" });
    const { context, page } = await openChat(browser, app.url, t.ws(""));
    try {
      await page.getByTestId("account-tab").click();
      await page.locator('input[name="name"]').fill(name);
      await page.locator('input[name="password"]').fill("correct horse");
      await page.getByRole("button", { name: "Sign in" }).click();
      await signedInAs(page, name);
      await page.getByTestId("member").filter({ hasText: `${name} (you) ✓` }).waitFor({ timeout: 20_000 });

      // A wrong password is said plainly.
      const other = await openChat(browser, app.url, t.ws(""));
      await other.page.getByTestId("account-tab").click();
      await other.page.locator('input[name="name"]').fill(name);
      await other.page.locator('input[name="password"]').fill("wrong horse");
      await other.page.getByRole("button", { name: "Sign in" }).click();
      await other.page.getByRole("alert").filter({ hasText: "Wrong name or password." }).waitFor({ timeout: 20_000 });
      await other.context.close();
    } finally {
      await context.close();
    }
  });
});
