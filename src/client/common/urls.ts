// Servers are named the way people write them (`localhost:4040`,
// `http://host:4040`, `wss://chat.example/`); each client adds its own path.

/** `ws(s)://…` for `server` with `path` added when `server` has no path of its own. */
export function socketUrl(server: string, path: string, query: Record<string, string | undefined> = {}): string {
  const url = parse(server);
  url.protocol = url.protocol === "https:" || url.protocol === "wss:" ? "wss:" : "ws:";
  if (url.pathname === "" || url.pathname === "/") url.pathname = path;
  for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, v);
  return url.toString();
}

/** `http(s)://…` for `server` at `path` (the HTTP API and fuse's push and pull). */
export function httpUrl(server: string, path: string, query: Record<string, string | undefined> = {}): string {
  const url = parse(server);
  url.protocol = url.protocol === "wss:" || url.protocol === "https:" ? "https:" : "http:";
  url.pathname = path;
  url.search = "";
  for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, v);
  return url.toString();
}

function parse(server: string): URL {
  return new URL(/^[a-z]+:\/\//i.test(server) ? server : `http://${server}`);
}

/** A server address, or a function asked before every connection attempt (to pick a server, or to wait). */
export type ServerAddress = string | (() => string | Promise<string>);

export async function addressOf(server: ServerAddress): Promise<string> {
  return typeof server === "string" ? server : server();
}
