// The server's HTTP auth API, for the credentials the dialects take: access
// tokens (instalk, really, pubsub) and session keys (relay). See docs/auth.md.

import { SwitchboardError } from "./errors.js";
import { httpUrl } from "./urls.js";

export type FetchLike = (url: string, init: { method: string; headers: Record<string, string>; body?: string }) => Promise<{
  status: number;
  ok: boolean;
  text(): Promise<string>;
}>;

export interface HttpOptions {
  /** A fetch to use (default: the global one). */
  fetch?: FetchLike;
}

export interface TokenReply {
  authType: "password" | "anonymous";
  accessToken: string;
  expiresAt: string;
  user: { id: string; name: string };
}

export interface AccountReply {
  id: string;
  name: string;
  mail?: string;
  color: string;
  created: string;
}

/** POSTs JSON and parses the answer; a refusal becomes a SwitchboardError with the server's code. */
export async function postJson<T>(server: string, path: string, body: unknown, opts: HttpOptions = {}, headers: Record<string, string> = {}): Promise<T> {
  const doFetch = opts.fetch ?? (globalThis.fetch as unknown as FetchLike | undefined);
  if (!doFetch) throw new SwitchboardError("fetch.missing", "no fetch: pass one in the options");
  const res = await doFetch(httpUrl(server, path), {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // Not JSON: reported below with the status.
  }
  if (!res.ok) {
    const err = parsed as { error?: string; reason?: string } | undefined;
    // 401/403 will not change by asking again; 429 and 503 may.
    throw new SwitchboardError(err?.error ?? `http.${res.status}`, err?.reason ?? `HTTP ${res.status}`, { status: res.status, fatal: res.status === 401 || res.status === 403 });
  }
  return parsed as T;
}

/** `POST /auth/login/`: an access token for an account. */
export function login(server: string, name: string, password: string, opts?: HttpOptions): Promise<TokenReply> {
  return postJson<TokenReply>(server, "/auth/login/", { name, password }, opts);
}

/** `POST /auth/anonymous/`: a token for a new guest. */
export function anonymousToken(server: string, opts?: HttpOptions): Promise<TokenReply> {
  return postJson<TokenReply>(server, "/auth/anonymous/", undefined, opts);
}

/** `POST /api/users`: registers an account (it does not log in). */
export function register(server: string, account: { name: string; password: string; mail?: string }, opts?: HttpOptions): Promise<AccountReply> {
  return postJson<AccountReply>(server, "/api/users", account, opts);
}
