// The reconnecting WebSocket every client is built on: it opens a socket,
// lets the dialect run its handshake (init, authentication, recovery), keeps
// it alive with pings, and when it dies opens another after a backoff. App
// frames sent while there is no usable socket wait in an outbox; frames that
// never reached a socket are sent on the next one, so none goes twice.

import { backoffDelay, resolveBackoff, type BackoffOptions, type ResolvedBackoff } from "./backoff.js";
import { closedError, SwitchboardError } from "./errors.js";
import { Pacer, type Outgoing, type RateOptions } from "./pacer.js";
import { resolveWebSocket, Socket, type WebSocketClass } from "./socket.js";

export type ConnectionState = "idle" | "connecting" | "open" | "reconnecting" | "closed";

export interface StateChange {
  state: ConnectionState;
  /** Failed attempts in a row so far (0 once a socket is ready). */
  attempt: number;
  /** While connecting or reconnecting: how long until the next attempt. */
  delayMs?: number;
  /** What ended the last socket or attempt. */
  error?: SwitchboardError;
}

/** Where to connect: a URL, or a function asked before every attempt (for a fresh token or key). */
export type UrlSource = string | (() => string | Promise<string>);

/** Options every client shares. */
export interface ConnectionOptions {
  /** A WebSocket class (e.g. `WebSocket` from `ws`); default: the platform's, else `ws`. */
  WebSocket?: WebSocketClass;
  /** Backoff between reconnect attempts, or `false` to never reconnect. */
  reconnect?: BackoffOptions | false;
  /** Outbound pacing under the server's flood limit, or `false` for none. */
  rate?: RateOptions | false;
  /** Time to open a socket and finish the handshake (default 15 s). */
  connectTimeoutMs?: number;
  /** Ping a quiet connection this often (default 25 s; 0: never). */
  pingIntervalMs?: number;
  /** A connection silent this long after a ping is taken for dead (default 10 s). */
  pingTimeoutMs?: number;
  /** Default timeout of a request (default 15 s). */
  requestTimeoutMs?: number;
  /** Frames kept while disconnected before new ones are refused (default 10,000). */
  maxOutbox?: number;
}

/** One socket as the dialect's handshake sees it: frames sent here go on this socket or nowhere. */
export interface Link {
  send(text: string): void;
  readonly generation: number;
}

export interface LostInfo {
  code: number;
  reason: string;
  /** Whether the socket had finished its handshake. */
  wasOpen: boolean;
}

/** What a dialect plugs into the connection. */
export interface DialectSession {
  /** Runs on every new socket before the app may use it; a fatal error stops reconnecting. */
  handshake(link: Link, reconnect: boolean): Promise<void>;
  /** Every inbound text frame, handshake time included. */
  frame(text: string): void;
  /** The socket is gone; return a fatal error when reconnecting cannot help. */
  lost(info: LostInfo): SwitchboardError | null;
  /** The client is closed for good. */
  closed(err: SwitchboardError): void;
  /** The dialect's own ping; without one, `ws`'s protocol ping is used where there is one. */
  ping?(link: Link): void;
}

interface Queued extends Outgoing {
  /** App frames outlive their socket while they have not been written; handshake frames do not. */
  keep: boolean;
}

/** A frame's place in the outbox; the function takes it out, true when it had not been sent. */
export type Cancel = () => boolean;

export class Connection {
  state: ConnectionState = "idle";
  private readonly backoff: ResolvedBackoff | null;
  private socket: Socket | null = null;
  private pacer: Pacer | null = null;
  private ready = false;
  private everReady = false;
  private outbox: Queued[] = [];
  private attempt = 0;
  private generation = 0;
  private timers = new Set<ReturnType<typeof setTimeout>>();
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private deadTimer: ReturnType<typeof setTimeout> | null = null;
  private first: { resolve: () => void; reject: (err: SwitchboardError) => void } | null = null;

  constructor(
    private readonly url: UrlSource,
    private readonly opts: ConnectionOptions,
    private readonly session: DialectSession,
    private readonly onState: (change: StateChange) => void,
  ) {
    this.backoff = opts.reconnect === false ? null : resolveBackoff(opts.reconnect);
  }

  get isReady(): boolean {
    return this.ready;
  }

  /** Resolves once the first socket is ready; transient failures are retried meanwhile. */
  start(): Promise<void> {
    if (this.state === "closed") return Promise.reject(closedError());
    if (this.ready) return Promise.resolve();
    const wait = new Promise<void>((resolve, reject) => {
      const prev = this.first;
      this.first = {
        resolve: () => (prev?.resolve(), resolve()),
        reject: (err) => (prev?.reject(err), reject(err)),
      };
    });
    if (this.state === "idle") {
      this.setState({ state: "connecting", attempt: 0 });
      void this.open();
    }
    return wait;
  }

  /**
   * Sends an app frame now, or as soon as a socket is ready. `done(true)` once
   * it is written; `done(false)` if the client closes first.
   */
  send(text: string, done?: (sent: boolean) => void): Cancel {
    if (this.state === "closed") {
      done?.(false);
      return () => false;
    }
    const item: Queued = { text, done, keep: true };
    // Wherever it waits (the pacer, or the outbox after a lost socket), it can be taken back until written.
    const cancel = () => (this.pacer?.remove(item) ?? false) || this.withdraw(item);
    if (this.ready && this.pacer) {
      this.pacer.push(item);
      return cancel;
    }
    if (this.outbox.length >= (this.opts.maxOutbox ?? 10_000)) throw new SwitchboardError("outbox.full", "too many frames waiting for a connection");
    this.outbox.push(item);
    return cancel;
  }

  private withdraw(item: Queued): boolean {
    const i = this.outbox.indexOf(item);
    if (i < 0) return false;
    this.outbox.splice(i, 1);
    return true;
  }

  /** Sends only if a socket is ready (typing signals and the like are worthless later). */
  sendNow(text: string): boolean {
    if (!this.ready || !this.pacer) return false;
    this.pacer.push({ text, keep: false } as Queued);
    return true;
  }

  /** Writes past the pacer (answers to the server's own pings, which the server never rate-limits). */
  sendDirect(text: string): void {
    this.socket?.send(text);
  }

  /** Drops the current socket as if the network had cut it, and reconnects (for tests and "retry now" buttons). */
  reconnectNow(): void {
    if (this.state === "closed" || !this.socket) return;
    this.lostSocket(this.generation, 1006, "reconnect requested", true);
  }

  close(code = 1000, reason = ""): void {
    if (this.state === "closed") return;
    const socket = this.socket;
    this.teardown();
    socket?.close(code, reason);
    this.stop(closedError());
  }

  private async open(): Promise<void> {
    const gen = ++this.generation;
    let url: string;
    let Impl: WebSocketClass;
    try {
      url = typeof this.url === "string" ? this.url : await this.url();
      Impl = await resolveWebSocket(this.opts.WebSocket);
    } catch (err) {
      if (gen !== this.generation || this.state === "closed") return;
      // A URL function may know that trying again cannot help (a refused credential).
      const e = asError(err, "connect.failed");
      if (e.fatal) this.stop(e);
      else this.failed(e);
      return;
    }
    if (gen !== this.generation || this.state === "closed") return;
    this.later(() => gen === this.generation && this.lostSocket(gen, 1006, "connect timeout", true), this.opts.connectTimeoutMs ?? 15_000, "handshake");
    try {
      this.socket = new Socket(Impl, url, {
        open: () => this.opened(gen),
        text: (text) => {
          this.alive();
          this.session.frame(text);
        },
        closed: (code, reason) => this.lostSocket(gen, code, reason, false),
        pong: () => this.alive(),
      });
    } catch (err) {
      this.failed(asError(err, "connect.failed"));
    }
  }

  private opened(gen: number): void {
    const socket = this.socket!;
    const pacer = new Pacer(this.opts.rate ?? {}, (text) => socket.send(text));
    this.pacer = pacer;
    const link: Link = {
      generation: gen,
      send: (text) => gen === this.generation && pacer.push({ text, keep: false } as Queued),
    };
    this.session.handshake(link, this.everReady).then(
      () => {
        if (gen !== this.generation || this.state === "closed") return;
        this.clearTimers("handshake");
        this.ready = true;
        this.everReady = true;
        this.attempt = 0;
        for (const item of this.outbox.splice(0)) pacer.push(item);
        this.startPings(link);
        this.setState({ state: "open", attempt: 0 });
        const first = this.first;
        this.first = null;
        first?.resolve();
      },
      (err: unknown) => {
        if (gen !== this.generation || this.state === "closed") return;
        const e = asError(err, "handshake.failed");
        if (e.fatal) {
          this.teardown();
          socket.close(1000, "");
          return this.stop(e);
        }
        this.lostSocket(gen, 1006, e.message, true, e);
      },
    );
  }

  private lostSocket(gen: number, code: number, reason: string, abandon: boolean, cause?: SwitchboardError): void {
    if (gen !== this.generation || this.state === "closed") return;
    const wasOpen = this.ready;
    if (abandon) this.socket?.abandon();
    this.teardown();
    const fatal = this.session.lost({ code, reason, wasOpen });
    // The dialect's handler may have closed the client.
    if ((this.state as ConnectionState) === "closed") return;
    if (fatal) return this.stop(fatal);
    this.failed(cause ?? new SwitchboardError("connection.lost", `connection closed (${code}${reason ? ` ${reason}` : ""})`, { status: code }));
  }

  /** One attempt failed or one socket died: try again after the backoff, or give up. */
  private failed(err: SwitchboardError): void {
    this.generation++;
    if (!this.backoff) return this.stop(new SwitchboardError("client.closed", `disconnected: ${err.message}`, { fatal: true }));
    const delay = backoffDelay(this.attempt, this.backoff);
    this.attempt++;
    if (this.attempt > this.backoff.maxAttempts) return this.stop(new SwitchboardError("client.closed", `gave up after ${this.attempt - 1} attempts: ${err.message}`, { fatal: true }));
    this.setState({ state: this.everReady ? "reconnecting" : "connecting", attempt: this.attempt, delayMs: delay, error: err });
    this.later(() => void this.open(), delay, "retry");
  }

  /** Forgets the socket (after it died or was let go); app frames it had not written go back to the outbox. */
  private teardown(): void {
    this.generation++;
    this.ready = false;
    this.clearTimers();
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = null;
    const unsent = this.pacer?.stop() ?? [];
    this.pacer = null;
    this.socket = null;
    const kept: Queued[] = [];
    for (const item of unsent as Queued[]) {
      if (item.keep) kept.push(item);
      else item.done?.(false);
    }
    this.outbox = [...kept, ...this.outbox];
  }

  private stop(err: SwitchboardError): void {
    this.teardown();
    this.state = "closed";
    for (const item of this.outbox.splice(0)) item.done?.(false);
    this.session.closed(err);
    this.onState({ state: "closed", attempt: this.attempt, error: err });
    const first = this.first;
    this.first = null;
    first?.reject(err);
  }

  private startPings(link: Link): void {
    const every = this.opts.pingIntervalMs ?? 25_000;
    if (every <= 0) return;
    const gen = link.generation;
    this.pingTimer = setInterval(() => {
      if (gen !== this.generation) return;
      if (this.session.ping) this.session.ping(link);
      else if (this.socket?.canPing) this.socket.nativePing();
      else return;
      if (this.deadTimer) return;
      this.deadTimer = setTimeout(() => {
        this.deadTimer = null;
        this.lostSocket(gen, 1006, "no answer to ping", true, new SwitchboardError("connection.lost", "the server stopped answering"));
      }, this.opts.pingTimeoutMs ?? 10_000);
    }, every);
  }

  private alive(): void {
    if (this.deadTimer) clearTimeout(this.deadTimer);
    this.deadTimer = null;
  }

  private readonly named = new Map<string, ReturnType<typeof setTimeout>>();

  private later(fn: () => void, ms: number, name: string): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.named.delete(name);
      fn();
    }, ms);
    this.timers.add(timer);
    this.named.set(name, timer);
  }

  private clearTimers(name?: string): void {
    if (name) {
      const t = this.named.get(name);
      if (t) {
        clearTimeout(t);
        this.timers.delete(t);
        this.named.delete(name);
      }
      return;
    }
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.named.clear();
    this.alive();
  }

  private setState(change: StateChange): void {
    this.state = change.state;
    this.onState(change);
  }
}

export function asError(err: unknown, code: string): SwitchboardError {
  if (err instanceof SwitchboardError) return err;
  return new SwitchboardError(code, err instanceof Error ? err.message : String(err));
}
