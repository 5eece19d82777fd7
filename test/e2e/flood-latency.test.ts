// Long mode only (`npm run soak`, SWITCHBOARD_TEST_FLOOD_SOAK=1): a flood costs
// the flooder, not the room. A server process, a healthy pair in one room
// (this process) and a flooder in the same room (its own process, ~90k
// frames/s written as raw pre-masked frames, so it costs its own CPU next to
// nothing). The pair's p99 message latency while the flood runs must stay
// within 2× of the same measurement without it, measured in the same run in
// alternating phases. The grace before a flooder is cut off is set out of
// reach here, so what is measured is the steady cost of a flood the server
// drops unread; that a flooder is cut off is test/e2e/flood-disconnect.test.ts.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { describe, it } from "node:test";
import { freePort, ServerProcess } from "../helpers/server-process.js";
import { TestClient } from "../helpers/ws-client.js";

const SOAK = process.env.SWITCHBOARD_TEST_FLOOD_SOAK === "1";
// The server below is the CLI, which takes every SWITCHBOARD_* variable as a
// setting: the soak's knobs for other tests (npm run soak sets them for the
// whole run) must not reach it.
for (const knob of ["SWITCHBOARD_TEST_FUZZ_RUNS", "SWITCHBOARD_TEST_CRASH_TRIALS"]) delete process.env[knob];
const SAMPLES = Number(process.env.SWITCHBOARD_TEST_FLOOD_SAMPLES ?? 400);
/** The pair sends within its allowance (50/s by default). */
const PAIR_INTERVAL_MS = 25;
const FLOOD_RATE = 90_000;
const ROOT = join(import.meta.dirname, "..", "..");

type Frame = { [key: string]: any };

function p99(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)];
}

async function member(server: ServerProcess, room: string): Promise<TestClient> {
  const c = await TestClient.connect(server.ws("/websocket"));
  c.send({ v: "0.1" });
  await c.waitFor((f) => f.welcome === 1);
  c.send({ r: room, o: "join" });
  await c.waitFor((f) => f.o === "room-welcome");
  return c;
}

/** `count` messages from `a`, each timed until `b` has it. */
async function measure(a: TestClient, b: TestClient, room: string, tag: string, count: number): Promise<number[]> {
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  b.frames.length = 0;
  const received = (async () => {
    while (latencies.length < count) {
      const f = (await b.waitFor((x) => x.o === "msg" && typeof (x as Frame).data?.body === "string" && (x as Frame).data.body.startsWith(tag), 30_000)) as Frame;
      const at = sentAt.get(f.data.body);
      if (at !== undefined) latencies.push(performance.now() - at);
    }
  })();
  for (let i = 0; i < count; i++) {
    const body = `${tag}:${i}`;
    sentAt.set(body, performance.now());
    a.send({ r: room, o: "msg", data: { body } });
    await new Promise((r) => setTimeout(r, PAIR_INTERVAL_MS));
  }
  await received;
  return latencies;
}

/** A flooder process; resolves once it is flooding and the server has refused it. */
async function startFlooder(server: ServerProcess, room: string): Promise<{ proc: ChildProcess; stats: Frame[] }> {
  const proc = spawn(process.execPath, [join(ROOT, "scripts", "flood-client.mjs"), server.ws("/websocket"), room, String(FLOOD_RATE)], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
  const stats: Frame[] = [];
  const lines = createInterface({ input: proc.stdout! });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the flooder never got going")), 20_000);
    lines.on("line", (line) => {
      if (!line.startsWith("{")) return;
      const s = JSON.parse(line) as Frame;
      stats.push(s);
      if (s.sent > 0 && s.refusals > 0) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return { proc, stats };
}

describe("a flood costs the flooder, not the room (long mode)", { skip: SOAK ? false : "long mode only (npm run soak)" }, () => {
  it(`a healthy pair's p99 latency under a ${FLOOD_RATE} frames/s flood stays within 2x of the same without`, async () => {
    const dir = await mkdtemp(join(tmpdir(), "sb-flood-"));
    const server = await ServerProcess.start(await freePort(), dir, { "limits.floodGraceMs": 3_600_000, "instalk.idleMs": 3_600_000 });
    try {
      const room = `flood-${process.pid}`;
      const a = await member(server, room);
      const b = await member(server, room);
      await measure(a, b, room, "warm", 40);
      const quiet: number[] = [];
      const flooded: number[] = [];
      const sent: number[] = [];
      for (let round = 0; round < 2; round++) {
        quiet.push(...(await measure(a, b, room, `q${round}`, SAMPLES)));
        const flooder = await startFlooder(server, room);
        const from = flooder.stats.length;
        flooded.push(...(await measure(a, b, room, `f${round}`, SAMPLES)));
        sent.push(...flooder.stats.slice(from).map((s) => s.sent as number));
        flooder.proc.kill("SIGKILL");
        await new Promise((r) => flooder.proc.once("exit", r));
      }
      const rate = sent.length ? Math.round(sent.reduce((x, y) => x + y, 0) / sent.length) : 0;
      const figures = { quietP99: +p99(quiet).toFixed(2), floodP99: +p99(flooded).toFixed(2), floodFramesPerSecond: rate, samples: quiet.length };
      process.stdout.write(`# flood latency: ${JSON.stringify(figures)}\n`);
      assert.ok(rate > FLOOD_RATE / 3, `the flooder really flooded (${rate} frames/s)`);
      assert.ok(figures.floodP99 <= 2 * figures.quietP99, `p99 ${figures.floodP99} ms under the flood, ${figures.quietP99} ms without`);
      a.close();
      b.close();
    } finally {
      await server.kill("SIGTERM");
      await rm(dir, { recursive: true, force: true });
    }
  });
});
