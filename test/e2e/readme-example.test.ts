import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { startTestServer, type TestServer } from "../helpers/server.js";

const run = promisify(execFile);

describe("the README's client example", () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.stop());

  it("connects, joins the lobby, sends hello and sees it come back with nr 1", async () => {
    const { stdout } = await run(process.execPath, ["examples/instalk-client.mjs"], {
      env: { ...process.env, SWITCHBOARD_URL: t.ws("/websocket") },
      timeout: 10_000,
    });
    const frames = stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(frames[0].welcome, 1);
    assert.equal(frames[1].o, "room-welcome");
    const msg = frames.find((f) => f.o === "msg") as { data: { nr: number; body: string } } | undefined;
    assert.ok(msg, "the client saw its own message");
    assert.equal(msg.data.body, "hello");
    assert.equal(msg.data.nr, 1);
  });
});
