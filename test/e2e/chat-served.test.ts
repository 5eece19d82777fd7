import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Browser } from "playwright-core";
import { InstalkClient, register } from "../../src/client/instalk.js";
import { browserSkipReason, launchBrowser, screenshot } from "../helpers/browser.js";
import { ensureChatBuild, joinRoom, say, signedInAs, waitForMessage } from "../helpers/chat-app.js";
import { uniqueName } from "../helpers/client-kit.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

const skip = browserSkipReason();

describe("web chat served by the server at /", { skip: skip ?? false }, () => {
  let t: TestServer;
  let browser: Browser;

  before(async () => {
    await ensureChatBuild();
    [t, browser] = await Promise.all([startTestServer(), launchBrowser()]);
  });
  after(async () => {
    await browser?.close();
    await t?.stop();
  });

  it("opens at http://HOST:PORT/ with no parameters: the socket and the sign-in go to the page's own server", async () => {
    const name = `home${process.pid}`;
    await register(t.url, { name, password: "correct horse" });
    const room = uniqueName("home");
    const friend = new InstalkClient({ url: t.url, name: `Friend${process.pid}` });
    await friend.connect();
    await friend.join(room);
    const context = await browser.newContext({ viewport: { width: 1000, height: 700 } });
    try {
      const page = await context.newPage();
      await page.goto(`${t.url}/`);
      assert.equal(await page.title(), "Switchboard chat");
      await page.getByTestId("account-tab").click();
      await page.locator('input[name="name"]').fill(name);
      await page.locator('input[name="password"]').fill("correct horse");
      await page.getByRole("button", { name: "Sign in" }).click();
      await signedInAs(page, name);
      await joinRoom(page, room);
      const heard = friend.next("message", { filter: (m) => m.room === room });
      await say(page, "hello from /");
      assert.equal((await heard).event.data.body, "hello from /");
      await friend.send(room, "hello back");
      await waitForMessage(page, "hello back");
      await screenshot(page, "chat", "served-at-root");
    } finally {
      friend.close();
      await context.close();
    }
  });
});
