import assert from "node:assert/strict";
import { after, afterEach, before } from "node:test";
import { startTestServer, type TestServer } from "./server.js";
import { TestClient } from "./ws-client.js";

/**
 * One real server shared by the tests of a `describe` block, and every socket
 * those tests open: a dialect's test harness extends this with its own peers.
 */
export class SocketHarness {
  private server: TestServer | null = null;
  private readonly open = new Set<TestClient>();

  get t(): TestServer {
    assert.ok(this.server, "server not started");
    return this.server;
  }

  /** A WebSocket on `path` (with its query), closed by `closeAll`. */
  async connect(path: string, headers: Record<string, string> = {}): Promise<TestClient> {
    const c = await TestClient.connect(this.t.ws(path), headers);
    this.open.add(c);
    return c;
  }

  async closeAll(): Promise<void> {
    const all = [...this.open];
    this.open.clear();
    for (const c of all) c.close();
    await Promise.all(all.map((c) => c.waitClose().catch(() => c.terminate())));
  }

  async start(overrides: Record<string, unknown> = {}, dataDir?: string): Promise<void> {
    this.server = await startTestServer(overrides, dataDir);
  }

  async stop(): Promise<void> {
    await this.closeAll();
    await this.server?.stop();
    this.server = null;
  }
}

/** Registers `h` in the enclosing `describe`: started before, sockets closed after each test, stopped after all. */
export function useHarness<H extends SocketHarness>(h: H, overrides: Record<string, unknown> = {}): H {
  before(() => h.start(overrides));
  afterEach(() => h.closeAll());
  after(() => h.stop());
  return h;
}
