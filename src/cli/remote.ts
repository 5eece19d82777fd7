import { parseArgs, type ParseArgsConfig } from "node:util";
import { nodeTable, textTable } from "./cluster.js";
import type { NodeInfo } from "../engine/broker/types.js";

/** A refusal or usage mistake: printed as one plain line, exit 1. */
export class CommandError extends Error {}

/** The running server an admin command talks to, through its admin API. */
export interface Remote {
  url: string;
  key: string;
}

type Body = { [key: string]: unknown };

export const ADMIN_KEY_ENV = "SWITCHBOARD_ADMIN_KEY";

/** `--url` (and the admin key) from flags or the environment; the key is never printed. */
export function remoteOf(url: string | undefined, key: string | undefined, env: NodeJS.ProcessEnv = process.env): Remote {
  if (!url) throw new CommandError("this command talks to a running server: give --url http://host:port");
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CommandError(`--url is not a URL: ${url}`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new CommandError("--url must be http:// or https://");
  const adminKey = key ?? env[ADMIN_KEY_ENV];
  if (!adminKey) throw new CommandError(`the admin key is needed: --admin-key <key> or $${ADMIN_KEY_ENV} (the server's auth.adminKey, or <data>/admin.key)`);
  return { url: parsed.origin + parsed.pathname.replace(/\/+$/, ""), key: adminKey };
}

/** One admin API request; a refusal becomes a CommandError with the server's code and reason. */
export async function request(remote: Remote, method: string, path: string, body?: Body): Promise<{ status: number; body: Body }> {
  let res: Response;
  try {
    res = await fetch(`${remote.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${remote.key}`, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(15_000),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new CommandError(`cannot reach ${remote.url}: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
  }
  const text = await res.text();
  let parsed: Body = {};
  try {
    parsed = text ? (JSON.parse(text) as Body) : {};
  } catch {
    throw new CommandError(`${remote.url} answered ${res.status} with something that is not JSON: is it a Switchboard server?`);
  }
  if (res.status === 401) throw new CommandError("the server refused the admin key (admin.unauthorized)");
  if (res.status === 429) throw new CommandError("too many wrong admin keys from this address; try again later (rate.limited)");
  return { status: res.status, body: parsed };
}

const refusal = (what: string, body: Body) => new CommandError(`${what}: ${String(body.error ?? "error")}${body.reason ? ` (${String(body.reason)})` : ""}`);

export async function remoteUserAdd(remote: Remote, name: string, password: string, mail: string | null): Promise<string> {
  const { status, body } = await request(remote, "POST", "/api/admin/accounts", { name, password, mail });
  // The same one line as without --url: `cannot add user: name.taken`.
  if (status !== 201) throw new CommandError(`cannot add user: ${String(body.error)}`);
  return JSON.stringify({ id: body.id, name: body.name, mail: body.mail, color: body.color });
}

interface Listed {
  id: string;
  name: string;
  mail: string | null;
}

/** The accounts the admin API lists (all, or those `search` finds), in name order, following `next` to the end. */
async function* listAccounts(remote: Remote, search: string | undefined, failure: string): AsyncGenerator<Listed> {
  let after: string | null = null;
  do {
    const query = new URLSearchParams({ limit: "200", ...(search ? { q: search } : {}), ...(after === null ? {} : { after }) });
    const { status, body } = await request(remote, "GET", `/api/admin/accounts?${query.toString()}`);
    if (status !== 200) throw refusal(failure, body);
    yield* body.accounts as Listed[];
    after = typeof body.next === "string" ? body.next : null;
  } while (after !== null);
}

/** `switchboard user list [--search text]`. */
export async function userList(remote: Remote, search: string | undefined): Promise<string> {
  const rows: string[][] = [];
  for await (const a of listAccounts(remote, search, "cannot list users")) rows.push([a.name, a.id, a.mail ?? ""]);
  if (rows.length === 0) return search ? `no user's name, mail or id matches ${search}` : "no users";
  return textTable(["name", "id", "mail"], rows);
}

export async function remoteTokenCreate(remote: Remote, name: string, ttlSeconds: number | undefined): Promise<string> {
  // The search matches parts of names too: the exact name may be on a later page.
  let account: Listed | undefined;
  for await (const a of listAccounts(remote, name, "cannot find the user")) {
    if (a.name.toLowerCase() === name.toLowerCase()) {
      account = a;
      break;
    }
  }
  if (!account) throw new CommandError(`no such user: ${name}`);
  const made = await request(remote, "POST", `/api/admin/accounts/${encodeURIComponent(account.id)}/tokens`, ttlSeconds === undefined ? {} : { ttlSeconds });
  if (made.status !== 201) throw refusal("cannot create a token", made.body);
  return String(made.body.accessToken);
}

const seg = encodeURIComponent;

/** `switchboard kick <room> <user id> [--ban] [--message text]`. */
export async function kick(remote: Remote, room: string, user: string, ban: boolean, message: string | undefined): Promise<string> {
  const { status, body } = await request(remote, "POST", `/api/admin/rooms/${seg(room)}/kick`, { user, ban, ...(message ? { message } : {}) });
  if (status !== 200) throw refusal("cannot kick", body);
  return `${ban ? "banned" : "kicked"} ${user} from ${room}`;
}

/** `switchboard publish <room> <text>` or `switchboard publish --topic <topic> <json>`. */
export async function publish(remote: Remote, target: { room: string } | { topic: string }, content: string, as: string | undefined): Promise<string> {
  let path: string;
  let payload: Body;
  if ("room" in target) {
    path = `/api/admin/rooms/${seg(target.room)}/messages`;
    payload = { body: content };
  } else {
    let data: unknown;
    try {
      data = JSON.parse(content);
    } catch {
      // Plain text is a JSON string: `publish --topic news "hello"` needs no quoting gymnastics.
      data = content;
    }
    path = `/api/admin/topics/${seg(target.topic)}/messages`;
    payload = { data };
  }
  const { status, body } = await request(remote, "POST", path, as ? { ...payload, as } : payload);
  if (status !== 201) throw refusal("cannot publish", body);
  return `stored in ${String(body.stream)} as #${String(body.seq)}`;
}

const mib = (bytes: unknown) => `${(Number(bytes) / 1024 / 1024).toFixed(1)} MiB`;

/** `switchboard stats`: the fleet's nodes, connections per dialect, and the answering node's process. */
export async function stats(remote: Remote, json: boolean): Promise<string> {
  const { status, body } = await request(remote, "GET", "/api/admin/stats");
  if (status !== 200) throw refusal("cannot read stats", body);
  if (json) return JSON.stringify(body, null, 2);
  const node = body.node as { id: string; version: string; uptimeSeconds: number; memory: Record<string, number> };
  const connections = body.connections as { total: number; byDialect: Record<string, number> };
  const dialects = Object.entries(connections.byDialect).map(([d, n]) => `${d} ${n}`).join(", ");
  return [
    nodeTable(body.nodes as NodeInfo[]),
    "",
    `connections: ${connections.total}${dialects ? ` (${dialects})` : ""}`,
    `answered by ${node.id} (switchboard ${node.version}): up ${node.uptimeSeconds} s, rss ${mib(node.memory.rss)}, heap ${mib(node.memory.heapUsed)}`,
  ].join("\n");
}

export interface RemoteArgs {
  remote: () => Remote;
  positionals: string[];
  string(name: string): string | undefined;
  flag(name: string): boolean;
}

/** Strict flag parsing for commands that talk to a server: an unknown flag is a mistake, not a setting. */
export function remoteArgs(argv: string[], options: NonNullable<ParseArgsConfig["options"]>): RemoteArgs {
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args: argv, options: { url: { type: "string" }, "admin-key": { type: "string" }, ...options }, allowPositionals: true, strict: true });
  } catch (err) {
    throw new CommandError((err as Error).message);
  }
  const { values, positionals } = parsed;
  const string = (name: string) => (typeof values[name] === "string" ? (values[name] as string) : undefined);
  return { positionals, string, flag: (name) => values[name] === true, remote: () => remoteOf(string("url"), string("admin-key")) };
}
