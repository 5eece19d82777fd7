import { resolveSecrets } from "../config/fleet-secrets.js";
import { tokenSecrets } from "../config/secret.js";
import type { Config } from "../config/schema.js";
import { Core } from "../core/core.js";
import { LocalBroker } from "../engine/broker/local/index.js";
import { openStore } from "../engine/store/open.js";

/** Opens the data folder's store beside (or without) a running server, for one admin command. */
export async function withCore<T>(config: Config, work: (core: Core) => Promise<T>): Promise<T> {
  const store = await openStore(config);
  try {
    // A fleet keeps its token secret in the store: tokens made here must verify on its nodes.
    await resolveSecrets(config, store.kv);
    const core = new Core(store, new LocalBroker(), { secrets: tokenSecrets(config), config });
    return await work(core);
  } finally {
    await store.close();
  }
}

/** Pulls `--name value` pairs this command owns out of argv; the rest are server settings. */
export function takeFlags(argv: string[], names: string[]): { own: Record<string, string>; rest: string[]; positional: string[] } {
  const own: Record<string, string> = {};
  const rest: string[] = [];
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const name = arg.startsWith("--") ? arg.slice(2).split("=")[0] : null;
    if (name === null) positional.push(arg);
    else if (names.includes(name)) own[name] = arg.includes("=") ? arg.slice(arg.indexOf("=") + 1) : argv[++i] ?? "";
    else {
      rest.push(arg);
      if (!arg.includes("=")) rest.push(argv[++i] ?? "");
    }
  }
  return { own, rest, positional };
}

/** The first line of stdin (a password typed or piped in). */
export async function readStdinLine(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write("password: ");
  let text = "";
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    text += chunk.toString("utf8");
    if (text.includes("\n")) break;
  }
  return text.split("\n")[0].replace(/\r$/, "");
}

export async function userAdd(config: Config, name: string, own: Record<string, string>): Promise<string> {
  const password = own.password ?? process.env.SWITCHBOARD_PASSWORD ?? (await readStdinLine());
  return withCore(config, async (core) => {
    const result = await core.accounts.register({ name, password, mail: own.mail ?? null });
    if (!result.ok) throw new Error(`cannot add user: ${result.code}`);
    const a = result.account;
    return JSON.stringify({ id: a.id, name: a.name, mail: a.mail, color: a.color });
  });
}

export async function tokenCreate(config: Config, name: string, own: Record<string, string>): Promise<string> {
  return withCore(config, async (core) => {
    const account = await core.accounts.byName(name);
    if (!account) throw new Error(`no such user: ${name}`);
    const ttl = own.ttl ? Number(own.ttl) : undefined;
    if (ttl !== undefined && !(Number.isInteger(ttl) && ttl > 0)) throw new Error("--ttl takes a whole number of seconds");
    const { token } = await core.accounts.issueToken(account, "password", ttl);
    return token;
  });
}
