// Builds every web app under web/<name>/ (each with its own vite.config.ts)
// into dist/web/<name>/, from source, at install time: no bundle is committed.
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { build } from "vite";

const root = "web";
const apps = existsSync(root) ? readdirSync(root).filter((name) => existsSync(join(root, name, "vite.config.ts"))) : [];
for (const name of apps) {
  await build({ configFile: join(root, name, "vite.config.ts"), logLevel: "warn" });
  process.stdout.write(`built web/${name} → dist/web/${name}\n`);
}
