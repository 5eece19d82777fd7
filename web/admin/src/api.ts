import type { StreamEvent } from "./types.js";

const KEY = "switchboard.adminKey";

/**
 * The admin key lives in sessionStorage: gone when the tab closes, never in a
 * URL. Requests carry it as a Bearer header; the event stream, which cannot
 * send headers, is opened with a one-use ticket bought with it.
 */
export const session = {
  get: (): string | null => sessionStorage.getItem(KEY),
  set: (key: string) => sessionStorage.setItem(KEY, key),
  clear: () => sessionStorage.removeItem(KEY),
};

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly reason: string,
  ) {
    super(`${code}: ${reason}`);
  }
}

const signedOut = new Set<() => void>();

/** Called when the server refuses the key (it changed, or was wrong): the page signs out. */
export function onSignedOut(fn: () => void): () => void {
  signedOut.add(fn);
  return () => signedOut.delete(fn);
}

/** One admin API request with the stored key (or `key`, when signing in). */
export async function api<T>(method: string, path: string, body?: unknown, key = session.get()): Promise<T> {
  const headers: Record<string, string> = { authorization: `Bearer ${key ?? ""}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: "no-store" });
  const text = await res.text();
  const parsed: unknown = text ? JSON.parse(text) : undefined;
  if (!res.ok) {
    const err = (parsed ?? {}) as { error?: string; reason?: string };
    if (res.status === 401 && path !== "/api/admin/stream") for (const fn of [...signedOut]) fn();
    throw new ApiError(res.status, err.error ?? "error", err.reason ?? res.statusText);
  }
  return parsed as T;
}

export const seg = encodeURIComponent;

export type StreamState = "connecting" | "live" | "retrying";

const EVENTS = ["stats", "rooms", "room", "members", "event"] as const;

/**
 * The dashboard's live feed: a ticket, then an EventSource. A stream that
 * breaks is opened again with a new ticket (the old one is spent), backing
 * off up to 10 s. Returns the way to close it.
 */
export function openStream(params: Record<string, string>, onEvent: (e: StreamEvent) => void, onState: (s: StreamState) => void): () => void {
  let closed = false;
  let source: EventSource | null = null;
  let timer: number | undefined;
  let failures = 0;

  const retry = () => {
    if (closed) return;
    onState("retrying");
    failures += 1;
    timer = window.setTimeout(connect, Math.min(10_000, 500 * 2 ** Math.min(failures, 5)));
  };

  async function connect(): Promise<void> {
    if (closed) return;
    onState("connecting");
    let ticket: string;
    try {
      ticket = (await api<{ ticket: string }>("POST", "/api/admin/stream-tickets")).ticket;
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return; // signed out: the page goes back to the sign-in form
      return retry();
    }
    if (closed) return;
    const es = new EventSource(`/api/admin/stream?${new URLSearchParams({ ...params, ticket })}`);
    source = es;
    es.onopen = () => {
      failures = 0;
      onState("live");
    };
    es.onerror = () => {
      es.close();
      if (source === es) retry();
    };
    for (const name of EVENTS) {
      es.addEventListener(name, (e) => onEvent({ event: name, data: JSON.parse((e as MessageEvent<string>).data) } as StreamEvent));
    }
  }

  void connect();
  return () => {
    closed = true;
    window.clearTimeout(timer);
    source?.close();
    source = null;
  };
}
