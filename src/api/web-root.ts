import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The package's own folder: the nearest one above this module holding a
 * package.json. The same from src/api (run through tsx) and from
 * dist/src/api (built), and wherever the package is installed.
 */
const packageRoot: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const up = dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
  return dir;
})();

export const repoFile = (...parts: string[]) => join(packageRoot, ...parts);

/** Where `scripts/build-web.mjs` puts each web app: dist/web/<app>/. */
export const webAppDir = (app: string) => repoFile("dist", "web", app);
