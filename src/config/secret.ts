import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "./schema.js";

/**
 * The token-signing secrets, newest first. Without a configured secret one is
 * generated into the data folder (mode 0600) on first start, so a fresh
 * install is secure by default and tokens survive restarts.
 */
export function tokenSecrets(config: Config): string[] {
  const current = config.auth.secret || loadOrCreate(join(config.data, "secret.key"));
  return [current, ...config.auth.previousSecrets];
}

/** The secret kept in `file` (mode 0600), made by `make` when there is none yet. */
export function loadOrCreate(file: string, make: () => string = () => randomBytes(32).toString("base64url")): string {
  try {
    return readFileSync(file, "utf8").trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  mkdirSync(join(file, ".."), { recursive: true });
  const secret = make();
  try {
    writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: "wx" });
    return secret;
  } catch (err) {
    // Another process created it first: use theirs.
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return readFileSync(file, "utf8").trim();
    throw err;
  }
}
