// `switchboard cluster status` run as a user runs it (a child process of the
// real CLI) against a real two-node fleet on a throwaway Redis: it lists every
// live node with its connection counts, honours the key prefix, and refuses
// to run without a broker.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fleetSkipReason, startFleet, type Fleet } from "../helpers/fleet.js";
import { initialised } from "../helpers/instalk.js";
import { pgReachable, pgSkipReason } from "../helpers/pg.js";
import { redisSkipReason } from "../helpers/redis.js";
import { TestClient } from "../helpers/ws-client.js";

const skip = fleetSkipReason() ?? redisSkipReason() ?? ((await pgReachable()) ? null : pgSkipReason("the cluster CLI tests"));
if (skip) console.warn(`\n${"!".repeat(100)}\n!!! cluster CLI tests SKIPPED: ${skip}\n${"!".repeat(100)}\n`);

const ROOT = join(import.meta.dirname, "..", "..");

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `switchboard <args>` from the source tree; no SWITCHBOARD_* from this environment leaks into its settings. */
function cli(args: string[], extraEnv: Record<string, string> = {}, timeoutMs = 60_000): Promise<Run> {
  const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("SWITCHBOARD_"))), ...extraEnv };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli.ts", ...args], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
    // A CLI that hangs (a broker connection left open) is a failure, not a stuck suite.
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`switchboard ${args.join(" ")} did not exit within ${timeoutMs} ms; stdout: ${stdout}; stderr: ${stderr}`));
    }, timeoutMs);
    child.once("error", reject);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The table as rows of header → cell. Cells are padded and joined with two spaces; values hold at most one ("3.2 s"). */
function parseTable(text: string): Array<Record<string, string>> {
  const [head, ...rows] = text.trimEnd().split("\n");
  const names = head.split(/\s{2,}/);
  return rows.map((row) => Object.fromEntries(row.split(/\s{2,}/).map((cell, i) => [names[i], cell])));
}

describe("switchboard cluster status", { skip: skip ?? undefined }, () => {
  let fleet: Fleet;
  const open: TestClient[] = [];
  before(async () => {
    fleet = await startFleet({ nodes: 2 });
  });
  after(async () => {
    for (const c of open) c.terminate();
    await fleet?.close();
  });

  it("lists every node of the fleet with its address and connection counts", async () => {
    // The nodes use the default key prefix (sb:), so --broker alone finds them.
    const broker = ["cluster", "status", "--broker", fleet.redis.url];
    const first = await cli(broker);
    assert.equal(first.code, 0, first.stderr);
    const rows = parseTable(first.stdout);
    assert.deepEqual(rows.map((r) => r.node), ["n1", "n2"]);
    for (const [i, node] of fleet.nodes.entries()) {
      assert.equal(rows[i].address, `127.0.0.1:${node.port}`);
      assert.match(rows[i]["last seen"], /^\d+(\.\d)? m?s ago$/);
    }

    // One instalk socket on n2: the count shows once n2 has beaten with it (heartbeat 300 ms), and n1 stays at none.
    const c = await TestClient.connect(fleet.nodes[1].ws("/websocket"));
    open.push(c);
    await initialised(c);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const run = await cli(broker);
      assert.equal(run.code, 0, run.stderr);
      const byId = new Map(parseTable(run.stdout).map((r) => [r.node, r]));
      if (byId.get("n2")?.instalk === "1") {
        assert.equal(byId.get("n1")?.instalk, "0", run.stdout);
        break;
      }
      assert.ok(Date.now() < deadline, `n2's instalk socket never showed:\n${run.stdout}`);
    }
  });

  it("reads only the fleet under its key prefix", async () => {
    const status = (prefix: string) => cli(["cluster", "status", "--broker", fleet.redis.url], { SWITCHBOARD_BROKER__PREFIX: prefix });
    const other = await status("elsewhere:");
    assert.equal(other.code, 0, other.stderr);
    assert.equal(other.stdout, "no nodes\n");
    const ours = await status("sb:");
    assert.deepEqual(parseTable(ours.stdout).map((r) => r.node), ["n1", "n2"], ours.stderr);
  });

  // `--broker URL` and `--set broker.prefix=…` both land in the broker section, in either order.
  it("--broker URL --set broker.prefix=sb: finds the fleet", async () => {
    const run = await cli(["cluster", "status", "--broker", fleet.redis.url, "--set", "broker.prefix=sb:"]);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(parseTable(run.stdout).map((r) => r.node), ["n1", "n2"]);
  });

  it("without --broker it fails with a clear message and exit code 1", async () => {
    const run = await cli(["cluster", "status"]);
    assert.equal(run.code, 1);
    assert.equal(run.stdout, "");
    assert.equal(run.stderr.trim(), "cluster status needs --broker redis://… (the fleet's broker)");
  });
});
