import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { newRoom, RelayHarness } from "../helpers/relay.js";

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(p)));
    else out.push(p);
  }
  return out;
}

describe("relay privacy", () => {
  it("no message content reaches the data folder or the logs, delivered or refused", async () => {
    const marker = `MARKER-${randomUUID()}`;
    const dataDir = await mkdtemp(join(tmpdir(), "sb-relay-privacy-"));
    const h = new RelayHarness();
    await h.start({ logLevel: "trace" }, dataDir);
    const logs = h.t.logs;
    try {
      const r = newRoom();
      const [a, b] = await h.members(r, 2);
      for (let i = 0; i < 5; i++) a.say(r, `${marker} #${i}`);
      for (let i = 0; i < 5; i++) assert.equal((await b.of("message")).content, `${marker} #${i}`);
      b.send({ type: "read", message_id: 5, room_id: r });
      await a.of("read");
      // Refused ones too: wrong key, not a member, malformed, oversized, unknown type.
      a.say(r, marker, { key: b.key });
      const outsider = await h.peer();
      outsider.say(r, marker);
      a.send(`{"type":"message","content":"${marker}"`);
      a.send({ type: "message", key: a.key, room_id: r, content: marker, pad: "x".repeat(70_000) });
      a.send({ type: marker, content: marker });
      await a.drain();
      await outsider.drain();
    } finally {
      await h.stop();
    }
    assert.ok(logs.length > 0, "the server logged");
    for (const line of logs) assert.ok(!JSON.stringify(line).includes(marker), `a log line holds message content: ${JSON.stringify(line)}`);
    const needle = Buffer.from(marker);
    const files = await filesUnder(dataDir);
    assert.ok(files.length > 0, "the server wrote its data folder");
    for (const file of files) assert.equal((await readFile(file)).indexOf(needle), -1, `${file} holds message content`);
    await rm(dataDir, { recursive: true, force: true });
  });
});
