// The web chat for browser tests: built on demand (once, whichever test file
// gets there first), served from dist/web/chat, and driven like a person would.

import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { ensureWebBuild } from "./web-build.js";

const repo = join(import.meta.dirname, "..", "..");
export const chatDist = join(repo, "dist", "web", "chat");
/** Builds dist/web/chat when it is missing or older than its sources (the app's and the SDK's). */
export function ensureChatBuild(): Promise<void> {
  return ensureWebBuild("chat", ["web/chat", "src/client"]);
}

export const PHONE = { width: 390, height: 844 };

/** A fresh browser context (its own storage: its own person) with the chat open on `server`. */
export async function openChat(browser: Browser, appUrl: string, wsServer: string, viewport = { width: 1200, height: 800 }): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  await page.goto(`${appUrl}/?server=${encodeURIComponent(wsServer)}`);
  return { context, page };
}

/** Waits for the chat to show `name` as the signed-in user (the panel may be hidden on a phone). */
export async function signedInAs(page: Page, name: string): Promise<void> {
  await page.getByTestId("me").filter({ hasText: name }).waitFor({ state: "attached", timeout: 20_000 });
}

/** Signs in under a chosen name and waits for the chat. */
export async function signIn(page: Page, name: string): Promise<void> {
  await page.locator('input[name="name"]').fill(name);
  await page.getByRole("button", { name: "Start chatting" }).click();
  await signedInAs(page, name);
}

/** Joins from the room list (opening it first on a phone). */
export async function joinRoom(page: Page, room: string): Promise<void> {
  if (!(await page.getByTestId("join-input").isVisible())) await page.getByRole("button", { name: "rooms" }).click();
  await page.getByTestId("join-input").fill(room);
  await page.getByTestId("join-input").press("Enter");
  await page.getByRole("heading", { name: `# ${room}` }).waitFor({ timeout: 20_000 });
}

export async function say(page: Page, text: string): Promise<void> {
  await page.getByTestId("message-input").fill(text);
  await page.getByTestId("send").click();
}

/** Message bodies as the page shows them, top to bottom. */
export function bodies(page: Page): Promise<string[]> {
  return page.getByTestId("body").allTextContents();
}

/** Waits until a message with exactly `text` is shown. */
export async function waitForMessage(page: Page, text: string, timeout = 20_000): Promise<void> {
  await page.getByTestId("body").filter({ hasText: new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`) }).first().waitFor({ timeout });
}
