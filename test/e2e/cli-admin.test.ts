import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, describe, it } from "node:test";
import { startTestServer } from "../helpers/server.js";
import { call, dataDir, me, removeDataDirs } from "./auth-client.js";

/** The `switchboard` command as an operator runs it: a child process on a data folder a server then uses. */

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `node --import tsx src/cli.ts …` with no SWITCHBOARD_* settings inherited from the test's environment. */
function cli(args: string[], opts: { env?: Record<string, string>; stdin?: string } = {}): Promise<Run> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("SWITCHBOARD_")));
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli.ts", ...args], { env: { ...env, ...opts.env }, stdio: "pipe" });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
  child.stdin.end(opts.stdin ?? "");
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`cli ${args.join(" ")} took over 15 s`));
    }, 15_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

after(removeDataDirs);

const claims = (token: string) => JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString("utf8")) as Record<string, unknown>;

describe("switchboard CLI", () => {
  it("--help prints the usage and exits 0; an unknown command exits 2 with the usage on stderr", async () => {
    const [help, bare, unknown] = await Promise.all([cli(["--help"]), cli([]), cli(["frobnicate"])]);
    assert.equal(help.code, 0);
    for (const text of ["Usage:", "switchboard start", "user add <name>", "token create <name>", "--data <dir>"]) assert.ok(help.stdout.includes(text), text);
    assert.equal(bare.stdout, help.stdout, "no command prints the help too");
    assert.equal(unknown.code, 2);
    assert.equal(unknown.stdout, "");
    assert.match(unknown.stderr, /^unknown command: frobnicate\n/);
    assert.ok(unknown.stderr.includes("Usage:"));
  });

  it("user add then token create give a token a server on that data folder accepts", async () => {
    const dir = await dataDir();
    const added = await cli(["user", "add", "Operator", "--password", "operator-pass-1", "--mail", "op@example.org", "--data", dir]);
    assert.equal(added.code, 0, added.stderr);
    const account = JSON.parse(added.stdout) as Record<string, unknown>;
    assert.equal(account.name, "Operator");
    assert.equal(account.mail, "op@example.org");
    const t = await startTestServer({}, dir);
    try {
      // The server is running on the same folder: the CLI works beside it.
      const made = await cli(["token", "create", "Operator", "--data", dir]);
      assert.equal(made.code, 0, made.stderr);
      const token = made.stdout.trim();
      const who = await me(t, token);
      assert.equal(who.status, 200);
      assert.equal(who.body.id, account.id);
      assert.equal(who.body.name, "Operator");
      assert.equal((await call(t, "POST", "/auth/login/", { name: "Operator", password: "operator-pass-1" })).status, 200, "the CLI's password logs in");
      const later = await cli(["user", "add", "Second", "--data", dir], { stdin: "second-pass-22\n" });
      assert.equal(later.code, 0, later.stderr);
      assert.equal((await call(t, "POST", "/auth/login/", { name: "Second", password: "second-pass-22" })).status, 200, "a user added while the server runs");
    } finally {
      await t.stop();
    }
  });

  it("the password can come from $SWITCHBOARD_PASSWORD; --ttl sets the token's lifetime", async () => {
    const dir = await dataDir();
    const added = await cli(["user", "add", "Envy", "--data", dir], { env: { SWITCHBOARD_PASSWORD: "from-the-environment" } });
    assert.equal(added.code, 0, added.stderr);
    const made = await cli(["token", "create", "Envy", "--ttl", "60", "--data", dir]);
    assert.equal(made.code, 0, made.stderr);
    const c = claims(made.stdout.trim());
    assert.equal(c.name, "Envy");
    assert.equal(c.authType, "password");
    const ttl = (c.exp as number) - (c.iat as number);
    assert.ok(ttl >= 60 && ttl <= 61, `ttl ${ttl}`);
    const t = await startTestServer({}, dir);
    try {
      assert.equal((await call(t, "POST", "/auth/login/", { name: "Envy", password: "from-the-environment" })).status, 200);
    } finally {
      await t.stop();
    }
  });

  it("refusals exit 1 with one plain line: taken name, short password, unknown user, bad --ttl", async () => {
    const dir = await dataDir();
    assert.equal((await cli(["user", "add", "Dup", "--password", "long-enough-1", "--data", dir])).code, 0);
    const runs = await Promise.all([
      cli(["user", "add", "dup", "--password", "long-enough-2", "--data", dir]),
      cli(["user", "add", "Shorty", "--password", "short", "--data", dir]),
      cli(["token", "create", "Nobody", "--data", dir]),
      cli(["token", "create", "Dup", "--ttl", "0", "--data", dir]),
      cli(["token", "create", "--data", dir]),
    ]);
    const expected = [/^cannot add user: name\.taken\n$/, /^cannot add user: password\.short\n$/, /^no such user: Nobody\n$/, /^--ttl takes a whole number of seconds\n$/, /^usage: switchboard token create <name>\n$/];
    runs.forEach((run, i) => {
      assert.equal(run.code, 1, `run ${i}: ${run.stderr}`);
      assert.equal(run.stdout, "");
      assert.match(run.stderr, expected[i]);
    });
  });
});
