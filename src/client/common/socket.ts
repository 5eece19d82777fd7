// The WebSocket the clients use: the one given in the options, else the
// platform's (browsers, Node 22+), else the `ws` package (Node 20). Only the
// part both implementations share is used: the on* handlers, send, close.

/** A WebSocket class: the browser's `WebSocket`, or `WebSocket` from the `ws` package. */
export type WebSocketClass = abstract new (url: string) => unknown;

interface SocketEvents {
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

/** What the clients need of a WebSocket object. */
interface SocketLike extends SocketEvents {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  /** `ws` only: drop the TCP connection without a closing handshake. */
  terminate?: () => void;
  /** `ws` only: a protocol-level ping, answered by the peer's WebSocket stack. */
  ping?: () => void;
  on?: (event: "pong", fn: () => void) => void;
}

const OPEN = 1;

let fallback: Promise<WebSocketClass> | null = null;

/** The implementation to use; the `ws` package is loaded only when nothing else is there. */
export async function resolveWebSocket(given?: WebSocketClass): Promise<WebSocketClass> {
  if (given) return given;
  const platform = (globalThis as { WebSocket?: WebSocketClass }).WebSocket;
  if (platform) return platform;
  // A variable specifier keeps bundlers from packing `ws` into browser builds.
  const name = "ws";
  fallback ??= import(/* @vite-ignore */ name).then((mod: { WebSocket?: WebSocketClass; default?: WebSocketClass }) => {
    const ctor = mod.WebSocket ?? mod.default;
    if (!ctor) throw new Error("no WebSocket: pass one in the options or install the ws package");
    return ctor;
  });
  return fallback;
}

export interface SocketHandlers {
  open(): void;
  text(data: string): void;
  /** The socket is gone: `code` 1006 when it died without a close frame. */
  closed(code: number, reason: string): void;
  /** `ws`'s protocol pong (used for liveness where the dialect has no ping of its own). */
  pong(): void;
}

/** One WebSocket, with its events turned into calls; after `abandon` none of them fires. */
export class Socket {
  private readonly ws: SocketLike;
  private gone = false;

  constructor(Impl: WebSocketClass, url: string, private readonly handlers: SocketHandlers) {
    this.ws = new (Impl as unknown as new (url: string) => SocketLike)(url);
    this.ws.onopen = () => !this.gone && handlers.open();
    this.ws.onmessage = (ev) => {
      if (this.gone) return;
      const data = ev.data;
      // Every dialect speaks text frames; a binary frame is not something the client can read.
      if (typeof data === "string") handlers.text(data);
    };
    this.ws.onclose = (ev) => this.finish(ev.code, ev.reason);
    // An error is always followed by a close event; the close is what counts.
    this.ws.onerror = () => undefined;
    if (typeof this.ws.on === "function" && typeof this.ws.ping === "function") this.ws.on("pong", () => !this.gone && handlers.pong());
  }

  get isOpen(): boolean {
    return !this.gone && this.ws.readyState === OPEN;
  }

  /** Whether `nativePing` does anything (Node's `ws`; browsers cannot send pings). */
  get canPing(): boolean {
    return typeof this.ws.ping === "function";
  }

  send(text: string): void {
    if (this.isOpen) this.ws.send(text);
  }

  nativePing(): void {
    try {
      this.ws.ping?.();
    } catch {
      // A socket closing under us: its close event follows.
    }
  }

  /** A clean close: the close event still arrives and reports it. */
  close(code = 1000, reason = ""): void {
    try {
      this.ws.close(code, reason);
    } catch {
      this.ws.close();
    }
  }

  /**
   * Lets go of a socket that is dead or not wanted (no answer to pings, a
   * handshake that took too long): nothing more is reported from it, and the
   * caller goes on without waiting for a closing handshake that may never come.
   */
  abandon(): void {
    this.gone = true;
    if (this.ws.terminate) this.ws.terminate();
    else {
      try {
        this.ws.close(4000, "abandoned");
      } catch {
        // Not open yet in a browser: close() then still cancels the connect.
      }
    }
  }

  private finish(code: number, reason: string): void {
    if (this.gone) return;
    this.gone = true;
    this.handlers.closed(code, reason);
  }
}
