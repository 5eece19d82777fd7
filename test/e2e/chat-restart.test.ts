import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Browser } from "playwright-core";
import { InstalkClient } from "../../src/client/instalk.js";
import { browserSkipReason, launchBrowser, screenshot } from "../helpers/browser.js";
import { bodies, chatDist, ensureChatBuild, joinRoom, openChat, say, signIn, waitForMessage } from "../helpers/chat-app.js";
import { RestartableServer, uniqueName } from "../helpers/client-kit.js";
import { serveStatic, type StaticServer } from "../helpers/static-server.js";

const skip = browserSkipReason();

describe("web chat: a server restart while the page is open", { skip: skip ?? false }, () => {
  let s: RestartableServer;
  let app: StaticServer;
  let browser: Browser;

  before(async () => {
    await ensureChatBuild();
    s = await RestartableServer.start();
    [app, browser] = await Promise.all([serveStatic(chatDist, () => s.url), launchBrowser()]);
  });
  after(async () => {
    await browser?.close();
    await app?.close();
    await s?.dispose();
  });

  it("shows reconnecting…, comes back by itself, and shows the message sent during the outage exactly once", async () => {
    const room = uniqueName("outage");
    const { context, page } = await openChat(browser, app.url, s.t.ws(""));
    try {
      await signIn(page, `Pat${process.pid}`);
      await joinRoom(page, room);
      await say(page, "before the restart");
      await waitForMessage(page, "before the restart");

      await s.stop();
      await page.getByTestId("reconnecting").waitFor({ timeout: 20_000 });
      await screenshot(page, "chat", "reconnecting");

      // While the page's port is down, the same data folder answers elsewhere: a message is sent there.
      const elsewhere = await s.startElsewhere();
      const other = new InstalkClient({ url: elsewhere.url, name: `Sam${process.pid}` });
      await other.connect();
      await other.join(room);
      await other.send(room, "sent during the outage");
      other.close();
      await elsewhere.stop();

      await s.start();
      await waitForMessage(page, "sent during the outage", 30_000);
      await page.getByTestId("reconnecting").waitFor({ state: "detached", timeout: 20_000 });

      // And live again, on the new server.
      await say(page, "after the restart");
      await waitForMessage(page, "after the restart");
      assert.deepEqual(await bodies(page), ["before the restart", "sent during the outage", "after the restart"]);
      await screenshot(page, "chat", "recovered");
    } finally {
      await context.close();
    }
  });
});
