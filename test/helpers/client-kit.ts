// What the client SDK tests share: a server they can restart on the same port
// and data folder, a WebSocket class whose sockets the test can cut, a gate
// that holds a client's reconnect, and waiting for a condition with a deadline.

import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WebSocket } from "ws";
import type { WebSocketClass } from "../../src/client/instalk.js";
import { startTestServer, type TestServer } from "./server.js";

/** A server whose data folder outlives it, so a new one can take over on the same port. */
export class RestartableServer {
  private constructor(
    public t: TestServer,
    readonly dataDir: string,
    private readonly overrides: Record<string, unknown>,
  ) {}

  static async start(overrides: Record<string, unknown> = {}): Promise<RestartableServer> {
    const dir = await mkdtemp(join(tmpdir(), "sb-client-"));
    return new RestartableServer(await startTestServer(overrides, dir), dir, overrides);
  }

  get url(): string {
    return this.t.url;
  }

  get port(): number {
    return this.t.port;
  }

  /** Stops the server (clients see 1001 going away); `start()` brings a new one up. */
  async stop(): Promise<void> {
    await this.t.stop();
  }

  async start(): Promise<void> {
    this.t = await startTestServer({ ...this.overrides, port: this.port }, this.dataDir);
  }

  /**
   * A server on another (free) port over the same data folder, while this
   * one is stopped: what is written there is what clients of this port missed.
   */
  async startElsewhere(): Promise<TestServer> {
    return startTestServer(this.overrides, this.dataDir);
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async dispose(): Promise<void> {
    await this.t.stop().catch(() => undefined);
    await rm(this.dataDir, { recursive: true, force: true });
  }
}

/** A `ws` WebSocket class that remembers its sockets, so a test can cut the newest one like a network would. */
export function trackedWebSocket(): { WebSocket: WebSocketClass; sockets: WebSocket[]; cut(): void } {
  const sockets: WebSocket[] = [];
  class Tracked extends WebSocket {
    constructor(url: string) {
      super(url);
      sockets.push(this);
    }
  }
  return {
    WebSocket: Tracked,
    sockets,
    // terminate() destroys the TCP socket: no close frame, frames in flight are lost.
    cut: () => sockets[sockets.length - 1]?.terminate(),
  };
}

/** Holds a client's next connection attempts (its URL function awaits it) while closed. */
export class Gate {
  private waiting: Promise<void> = Promise.resolve();
  private release: () => void = () => undefined;

  close(): void {
    this.waiting = new Promise((resolve) => (this.release = resolve));
  }

  open(): void {
    this.release();
  }

  pass(): Promise<void> {
    return this.waiting;
  }

  /** A client `url` function that waits at the gate before every connection attempt. */
  guard(url: () => string): () => Promise<string> {
    return async () => {
      await this.waiting;
      return url();
    };
  }
}

/** Polls `check` until it holds; fails after `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let rooms = 0;
/** A room (or topic) name no other test uses. */
export const uniqueName = (prefix: string) => `${prefix}-${process.pid}-${++rooms}`;

/** Backoff for tests: quick, so a restart does not cost seconds of waiting. */
export const quickReconnect = { initialDelayMs: 50, maxDelayMs: 500 };
