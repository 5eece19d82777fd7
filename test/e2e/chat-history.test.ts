import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Browser } from "playwright-core";
import { InstalkClient } from "../../src/client/instalk.js";
import { browserSkipReason, launchBrowser, screenshot } from "../helpers/browser.js";
import { bodies, chatDist, ensureChatBuild, joinRoom, openChat, signIn, waitForMessage } from "../helpers/chat-app.js";
import { uniqueName, until } from "../helpers/client-kit.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { serveStatic, type StaticServer } from "../helpers/static-server.js";

const skip = browserSkipReason();

describe("web chat: scroll-back", { skip: skip ?? false }, () => {
  let t: TestServer;
  let app: StaticServer;
  let browser: Browser;
  let writer: InstalkClient;

  before(async () => {
    await ensureChatBuild();
    t = await startTestServer();
    [app, browser] = await Promise.all([serveStatic(chatDist, () => t.url), launchBrowser()]);
  });
  after(async () => {
    writer?.close();
    await browser?.close();
    await app?.close();
    await t?.stop();
  });

  it("a newcomer scrolls back through 120 earlier messages, each once, in order, with its sender", async () => {
    const room = uniqueName("archive");
    const name = `Writer${process.pid}`;
    writer = new InstalkClient({ url: t.url, name });
    await writer.connect();
    await writer.join(room);
    const sent = Array.from({ length: 120 }, (_, i) => `note ${i + 1}`);
    for (const body of sent) await writer.send(room, body);

    const { context, page } = await openChat(browser, app.url, t.ws(""));
    try {
      await signIn(page, `Reader${process.pid}`);
      await joinRoom(page, room);
      await waitForMessage(page, "note 120");
      // The welcome brings the newest 50; older ones come ten at a time (`load`) as the list is scrolled to the top.
      assert.ok((await bodies(page)).length < 120);
      const list = page.getByTestId("messages");
      await until(
        async () => {
          await list.evaluate((el) => el.scrollTo({ top: 0 }));
          return page.getByText(`The beginning of #${room}`).isVisible();
        },
        "scroll-back to reach the beginning",
        60_000,
      );
      assert.deepEqual(await bodies(page), sent);
      const senders = await page.getByTestId("line").locator(".sender").allTextContents();
      assert.deepEqual(new Set(senders), new Set([name]));
      await screenshot(page, "chat", "scrolled-back");
    } finally {
      await context.close();
    }
  });
});
