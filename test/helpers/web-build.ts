// Builds a web app of web/<name> into dist/web/<name> for browser tests when
// it is missing or older than its sources, the way scripts/build-web.mjs does
// at install. Test files run in parallel: a lock directory keeps two of them
// from building into one folder at once; the other waits for the result.
import assert from "node:assert/strict";
import { existsSync, readdirSync, statSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";

const repo = join(import.meta.dirname, "..", "..");

export const webDist = (name: string): string => join(repo, "dist", "web", name);

/** The newest modification time under `dir`. */
function newest(dir: string): number {
  let latest = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const s = statSync(p);
    latest = Math.max(latest, s.isDirectory() ? newest(p) : s.mtimeMs);
  }
  return latest;
}

function built(name: string, sources: string[]): boolean {
  const index = join(webDist(name), "index.html");
  if (!existsSync(index)) return false;
  return statSync(index).mtimeMs >= Math.max(...sources.map((dir) => newest(join(repo, dir))));
}

/** `sources`: the folders (from the repository root) whose changes call for a new build. */
export async function ensureWebBuild(name: string, sources: string[]): Promise<void> {
  const lock = join(repo, "dist", "web", `.${name}-build.lock`);
  const deadline = Date.now() + 180_000;
  while (!built(name, sources)) {
    await mkdir(join(repo, "dist", "web"), { recursive: true });
    let mine = false;
    try {
      await mkdir(lock);
      mine = true;
    } catch {
      // Someone else is building; a lock older than two minutes is a build that died.
      if (Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now()) > 120_000) await rm(lock, { recursive: true, force: true });
    }
    if (mine) {
      try {
        const { build } = await import("vite");
        await build({ configFile: join(repo, "web", name, "vite.config.ts"), logLevel: "warn" });
      } finally {
        await rm(lock, { recursive: true, force: true });
      }
      continue;
    }
    if (Date.now() > deadline) assert.fail(`timed out waiting for another process to build web/${name}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
