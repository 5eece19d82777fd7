import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { startTestServer, type TestServer } from "../helpers/server.js";

const run = promisify(execFile);

/** Runs one example against the test server, as `npx tsx examples/<file>` would, and returns what it printed. */
async function example(t: TestServer, file: string): Promise<string> {
  const { stdout } = await run(process.execPath, ["--import", "tsx", `examples/${file}`], {
    env: { ...process.env, SWITCHBOARD_URL: t.url },
    timeout: 60_000,
  });
  return stdout;
}

describe("the SDK examples", () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.stop());

  it("chat.ts (instalk): two people talk in one room", async () => {
    const out = await example(t, "chat.ts");
    assert.match(out, /^bob sees {3}#1 hello bob$/m);
    assert.match(out, /^ada hears {2}hi ada!$/m);
    assert.match(out, /^ada's room: Bob-\d+$/m);
    assert.match(out, /^history {4}msg, msg$/m);
  });

  it("pubsub-feed.ts: a feed with presence", async () => {
    const out = await example(t, "pubsub-feed.ts");
    assert.equal(out.match(/^reader got {2}\{"headline":/gm)?.length, 3);
    assert.match(out, /^presence {4}Guest-\d+ joined$/m);
    assert.match(out, /^presence {4}Guest-\d+ left$/m);
    assert.match(out, /^on the feed 1 now$/m);
  });

  it("documents.ts (really): a document edited live", async () => {
    const out = await example(t, "documents.ts");
    assert.match(out, /^watcher has \{"title":"weekend shopping","items":\["milk","bread","eggs"\],"rev":5\}$/m);
    assert.match(out, /^refused {5}object\.revision\.outdated$/m);
  });

  it("fuse-lobby.ts: a game lobby", async () => {
    const out = await example(t, "fuse-lobby.ts");
    assert.match(out, /^open rooms {2}host\w+ \(race, 4\)$/m);
    assert.match(out, /^host sees {3}guest\w+ arrive$/m);
    assert.match(out, /^guest hears host\w+: ready\?$/m);
    assert.match(out, /^guest gets {2}data start:3$/m);
  });

  it("relay-chat.ts: a chat nothing of which is stored", async () => {
    const out = await example(t, "relay-chat.ts");
    assert.match(out, /^kim sees {4}someone enter the room$/m);
    assert.match(out, /^lee got {5}#1 "this is never written to disk"$/m);
    assert.match(out, /^kim sees {4}read receipt for #1$/m);
  });
});
