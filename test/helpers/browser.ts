// Headless Chromium for end-to-end tests of the web pages: Debian's
// /usr/bin/chromium driven by playwright-core (no browser download). A test
// that cannot find Chromium says so loudly and is skipped; CI installs it.
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export function browserSkipReason(): string | null {
  if (existsSync(CHROMIUM)) return null;
  const reason = `Chromium not found at ${CHROMIUM} (apt-get install chromium; .ci/run does): browser tests SKIPPED`;
  console.warn(`\n${"!".repeat(100)}\n!!! ${reason}\n${"!".repeat(100)}\n`);
  return reason;
}

/** A fresh headless browser; the flags keep it from reaching out to the network this machine does not have. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

/** Saves a screenshot under test-output/<folder>/<name>.png for a person to look at. */
export async function screenshot(page: Page, folder: string, name: string): Promise<string> {
  const dir = join(import.meta.dirname, "..", "..", "test-output", folder);
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
