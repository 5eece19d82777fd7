import { existsSync } from "node:fs";
import { mkdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "vite";

const root = join(import.meta.dirname, "..", "..");
export const ADMIN_DIST = join(root, "dist", "web", "admin");

/**
 * The dashboard's build, made here when missing (a fresh clone where `npm ci`
 * did not run `prepare`), the way scripts/build-web.mjs makes it. Test files
 * run in parallel: a lock folder keeps two of them from building at once.
 */
export async function ensureAdminBuild(): Promise<void> {
  if (existsSync(join(ADMIN_DIST, "index.html"))) return;
  const lock = join(tmpdir(), "switchboard-admin-build.lock");
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch {
      if (existsSync(join(ADMIN_DIST, "index.html"))) return;
      // A lock older than any build takes was left by a run that was killed.
      const age = Date.now() - ((await stat(lock).catch(() => null))?.mtimeMs ?? Date.now());
      if (age > 60_000) await rm(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`another test holds ${lock} for over 2 minutes; remove it if no test runs`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    if (!existsSync(join(ADMIN_DIST, "index.html"))) await build({ configFile: join(root, "web", "admin", "vite.config.ts"), logLevel: "warn" });
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}
