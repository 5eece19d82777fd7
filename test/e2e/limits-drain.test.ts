// Shutdown fits in drainMs: every wait for clients (their answer to the
// close, their cleanup, a stalled reader's close handshake) is a share of
// it, so a short drainMs still drains and exits 0 however the clients behave.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { freePort, ServerProcess } from "../helpers/server-process.js";
import { TestClient } from "../helpers/ws-client.js";

describe("drain within drainMs", () => {
  it("with stalled readers and a drainMs of 800 ms the process still exits 0", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sb-drain-"));
    const server = await ServerProcess.start(await freePort(), dir, { drainMs: 800 });
    try {
      const stalled: TestClient[] = [];
      for (const path of ["/websocket", "/pubsub", "/fuse?name=stalled"]) {
        const c = await TestClient.connect(server.ws(path));
        // Never reads again: the server's close frame is never answered.
        (c.ws as unknown as { _socket: Socket })._socket.pause();
        stalled.push(c);
      }
      const sse = await fetch(`${server.url}/websocket/sse`);
      assert.equal(sse.status, 200, "an SSE stream nobody reads");
      const exit = await server.kill("SIGTERM");
      assert.deepEqual(exit, { code: 0, signal: null });
      for (const c of stalled) c.terminate();
    } finally {
      await server.kill("SIGKILL");
      await rm(dir, { recursive: true, force: true });
    }
  });
});
