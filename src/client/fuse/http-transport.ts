// fuse over HTTP, the protocol's original transport: each command is a push
// (`POST /push?name=`, the reply is the body), broadcasts come down a held
// pull (`GET /pull?name=`, as Server-Sent Events). The session is the `fuse`
// cookie: a browser keeps it (`credentials: "include"`), in Node it is kept
// here. The pull is read with fetch rather than EventSource, which cannot
// tell "your session is gone" (401) from a network error, and so could not
// know when to log in again.
//
// A pull that breaks is simply opened again: the server holds the session's
// lines meanwhile, so nothing between two pulls is lost. A session that is
// gone (a server restart) is logged in again, and the app is told.

import { backoffDelay, resolveBackoff, type BackoffOptions } from "../common/backoff.js";
import type { ConnectionState, StateChange } from "../common/connection.js";
import { closedError, SwitchboardError } from "../common/errors.js";
import { addressOf, httpUrl, type ServerAddress } from "../common/urls.js";
import type { FuseTransport, TransportHooks } from "./transport.js";

interface StreamReader {
  read(): Promise<{ done: boolean; value?: Uint8Array }>;
  cancel(): Promise<void>;
}

/** The part of fetch's Response used here (browsers and Node 18+ have it all). */
export interface FetchResponse {
  status: number;
  text(): Promise<string>;
  headers: { get(name: string): string | null; getSetCookie?: () => string[] };
  body: { getReader(): StreamReader } | null;
}

export type StreamingFetch = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string; credentials?: "include"; signal?: AbortSignal },
) => Promise<FetchResponse>;

export interface HttpTransportOptions {
  reconnect?: BackoffOptions | false;
  /** A pull silent this long (the server says `noop` every 5 s) is taken for dead (default 15 s). */
  pullSilenceMs?: number;
  fetch?: StreamingFetch;
}

const NOT_AUTHORIZED = "main|fail|user not authorized";

/** The session is gone on the server: log in again. */
class SessionGone extends Error {}

export class HttpTransport implements FuseTransport {
  state: ConnectionState = "idle";
  private cookie: string | null = null;
  private loggedIn = false;
  private everOpen = false;
  /** A pull of the current session broke: the next one says that lines may have been lost. */
  private broken = false;
  private attempt = 0;
  private pull: AbortController | null = null;
  private pushes: Promise<unknown> = Promise.resolve();
  private waiters: Array<{ resolve: () => void; reject: (err: SwitchboardError) => void }> = [];
  private retry: { timer: ReturnType<typeof setTimeout>; wake: () => void } | null = null;

  constructor(
    private readonly url: ServerAddress,
    private readonly name: string,
    private readonly opts: HttpTransportOptions,
    private readonly hooks: TransportHooks,
  ) {}

  start(): Promise<void> {
    if (this.state === "closed") return Promise.reject(closedError());
    const opened = this.whenOpen();
    if (this.state === "idle") {
      this.set({ state: "connecting", attempt: 0 });
      void this.run();
    }
    return opened;
  }

  /** Waits until a session is open (queued while reconnecting), then pushes the line. */
  async command(line: string, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    const timeout = () => new SwitchboardError("request.timeout", `${line.split("|")[0]}: no reply within ${timeoutMs} ms`, { sent: false });
    for (let tries = 0; ; tries++) {
      if (this.state !== "open") await withTimeout(this.whenOpen(), deadline - Date.now(), timeout);
      const reply = await withTimeout(this.push(line), deadline - Date.now(), () => new SwitchboardError("request.timeout", `${line.split("|")[0]}: no reply within ${timeoutMs} ms`, { sent: true }));
      // The session ended under us (a restart): the command did not run; log in again and send it once more.
      if (reply === NOT_AUTHORIZED && tries === 0 && this.loggedIn) {
        this.sessionGone();
        continue;
      }
      return reply;
    }
  }

  reconnectNow(): void {
    this.pull?.abort();
  }

  close(): void {
    if (this.state === "closed") return;
    this.state = "closed";
    this.pull?.abort();
    this.wake();
    const err = closedError();
    for (const w of this.waiters.splice(0)) w.reject(err);
    this.hooks.state({ state: "closed", attempt: this.attempt, error: err });
  }

  // ---- the loop: log in, hold a pull, again after a backoff ----

  private async run(): Promise<void> {
    const backoff = this.opts.reconnect === false ? null : resolveBackoff(this.opts.reconnect);
    while (this.state !== "closed") {
      let error: SwitchboardError;
      try {
        if (!this.loggedIn) {
          await this.hooks.login((line) => this.push(line), this.everOpen);
          this.loggedIn = true;
          // A new session: nothing of the old one's stream is owed.
          this.broken = false;
        }
        await this.holdPull();
        error = new SwitchboardError("connection.lost", "the pull ended");
      } catch (err) {
        if (err instanceof SessionGone) {
          this.loggedIn = false;
          error = new SwitchboardError("session.gone", "the server no longer knows this session");
        } else error = err instanceof SwitchboardError ? err : new SwitchboardError("connection.lost", err instanceof Error ? err.message : String(err));
        if (error.fatal) return this.stop(error);
      }
      // close() may have run while this attempt was under way.
      if ((this.state as ConnectionState) === "closed") return;
      if (!backoff) return this.stop(new SwitchboardError("client.closed", `disconnected: ${error.message}`, { fatal: true }));
      const delay = backoffDelay(this.attempt++, backoff);
      if (this.attempt > backoff.maxAttempts) return this.stop(new SwitchboardError("client.closed", `gave up: ${error.message}`, { fatal: true }));
      this.set({ state: this.everOpen ? "reconnecting" : "connecting", attempt: this.attempt, delayMs: delay, error });
      await new Promise<void>((resolve) => (this.retry = { timer: setTimeout(resolve, delay), wake: resolve }));
      this.retry = null;
    }
  }

  /** One pull: open once the server answers 200, until the stream ends, breaks or goes silent. */
  private async holdPull(): Promise<void> {
    const abort = new AbortController();
    this.pull = abort;
    const server = await addressOf(this.url);
    const res = await this.fetch()(httpUrl(server, "/pull", { name: this.name }), {
      method: "GET",
      headers: this.headers({ accept: "text/event-stream" }),
      credentials: "include",
      signal: abort.signal,
    });
    if (res.status === 401) throw new SessionGone();
    if (res.status !== 200 || !res.body) throw new SwitchboardError("pull.failed", `pull answered ${res.status}`);
    this.attempt = 0;
    this.everOpen = true;
    this.set({ state: "open", attempt: 0 });
    if (this.broken) this.hooks.interrupted();
    this.broken = true;
    for (const w of this.waiters.splice(0)) w.resolve();
    const reader = res.body.getReader();
    const silence = this.opts.pullSilenceMs ?? 15_000;
    let watchdog = setTimeout(() => abort.abort(), silence);
    const decoder = new TextDecoder();
    let buffered = "";
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        clearTimeout(watchdog);
        watchdog = setTimeout(() => abort.abort(), silence);
        buffered += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffered.indexOf("\n\n")) >= 0) {
          const event = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          const line = event
            .split("\n")
            .filter((l) => l.startsWith("data:"))
            .map((l) => l.slice(5).replace(/^ /, ""))
            .join("\n");
          if (line && line !== "noop") this.hooks.line(line);
        }
      }
    } catch (err) {
      if (abort.signal.aborted) return;
      throw err;
    } finally {
      clearTimeout(watchdog);
      reader.cancel().catch(() => undefined);
    }
  }

  /** One push at a time: the server runs a session's commands as they arrive, so order is kept here. */
  private push(line: string): Promise<string> {
    const next = this.pushes.then(() => this.pushNow(line));
    this.pushes = next.catch(() => undefined);
    return next;
  }

  private async pushNow(line: string): Promise<string> {
    const server = await addressOf(this.url);
    let res: FetchResponse;
    try {
      res = await this.fetch()(httpUrl(server, "/push", { name: this.name }), {
        method: "POST",
        headers: this.headers({ "content-type": "text/plain; charset=utf-8" }),
        body: line,
        credentials: "include",
      });
    } catch (err) {
      // The pull finds out too; the loop reconnects.
      this.pull?.abort();
      throw new SwitchboardError("connection.lost", `push failed: ${err instanceof Error ? err.message : String(err)}; it may or may not have been carried out`, { sent: true });
    }
    this.keepCookie(res);
    return (await res.text()).replace(/\r?\n$/, "");
  }

  private sessionGone(): void {
    this.loggedIn = false;
    if (this.state === "open") this.set({ state: "reconnecting", attempt: 0 });
    this.pull?.abort();
    this.wake();
  }

  private whenOpen(): Promise<void> {
    if (this.state === "open") return Promise.resolve();
    if (this.state === "closed") return Promise.reject(closedError());
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  private wake(): void {
    if (!this.retry) return;
    clearTimeout(this.retry.timer);
    this.retry.wake();
  }

  private stop(err: SwitchboardError): void {
    this.state = "closed";
    for (const w of this.waiters.splice(0)) w.reject(err);
    this.hooks.closed(err);
    this.hooks.state({ state: "closed", attempt: this.attempt, error: err });
  }

  private set(change: StateChange): void {
    this.state = change.state;
    this.hooks.state(change);
  }

  private fetch(): StreamingFetch {
    return this.opts.fetch ?? (globalThis.fetch as unknown as StreamingFetch);
  }

  /** Node has no cookie jar: the session cookie rides along by hand (browsers send it themselves). */
  private headers(extra: Record<string, string>): Record<string, string> {
    return this.cookie ? { ...extra, cookie: `fuse=${encodeURIComponent(this.cookie)}` } : extra;
  }

  private keepCookie(res: FetchResponse): void {
    for (const c of res.headers.getSetCookie?.() ?? []) {
      const m = /^fuse=([^;]*)/.exec(c);
      if (m) this.cookie = m[1] ? decodeURIComponent(m[1]) : null;
    }
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, err: () => SwitchboardError): Promise<T> {
  if (ms <= 0) return Promise.reject(err());
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(err()), ms);
    p.then(
      (v) => (clearTimeout(timer), resolve(v)),
      (e: unknown) => (clearTimeout(timer), reject(e)),
    );
  });
}
