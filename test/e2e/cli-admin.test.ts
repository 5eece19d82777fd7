import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { after, describe, it } from "node:test";
import { startTestServer } from "../helpers/server.js";
import { bearer, call, dataDir, instalk, me, removeDataDirs } from "./auth-client.js";

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

describe("switchboard CLI against a running server (--url and the admin key)", () => {
  const KEY = "cli-admin-key-0123456789abcdef";
  const withKey = { env: { SWITCHBOARD_ADMIN_KEY: KEY } };

  it("--help names the admin commands and --url", async () => {
    const help = await cli(["--help"]);
    for (const text of ["user list [--search <text>]", "kick <room> <user id>", "publish <room> <text>", "publish --topic", "stats", "--url", "SWITCHBOARD_ADMIN_KEY"]) assert.ok(help.stdout.includes(text), text);
  });

  it("user add and token create go through the admin API, with the same output and refusals as on the data folder", async () => {
    const t = await startTestServer({ auth: { adminKey: KEY } });
    try {
      const url = ["--url", t.url];
      const added = await cli(["user", "add", "Remote", "--password", "remote-pass-1", "--mail", "remote@example.org", ...url], withKey);
      assert.equal(added.code, 0, added.stderr);
      const account = JSON.parse(added.stdout) as Record<string, unknown>;
      assert.deepEqual(Object.keys(account).sort(), ["color", "id", "mail", "name"]);
      assert.equal(account.mail, "remote@example.org");
      const [made, short, taken, nobody, fromStdin] = await Promise.all([
        cli(["token", "create", "remote", "--ttl", "120", ...url], withKey),
        cli(["token", "create", "Remote", "--ttl", "0", ...url], withKey),
        cli(["user", "add", "REMOTE", "--password", "remote-pass-2", ...url], withKey),
        cli(["token", "create", "Nobody", ...url], withKey),
        cli(["user", "add", "Piped", `--url=${t.url}`], { ...withKey, stdin: "piped-pass-33\n" }),
      ]);
      assert.equal(made.code, 0, made.stderr);
      const who = await me(t, made.stdout.trim());
      assert.equal(who.body.id, account.id);
      const c = claims(made.stdout.trim());
      assert.ok((c.exp as number) - (c.iat as number) >= 120);
      assert.deepEqual([short.code, short.stderr], [1, "--ttl takes a whole number of seconds\n"]);
      assert.deepEqual([taken.code, taken.stderr], [1, "cannot add user: name.taken\n"]);
      assert.deepEqual([nobody.code, nobody.stderr], [1, "no such user: Nobody\n"]);
      assert.equal(fromStdin.code, 0, fromStdin.stderr);
      assert.equal((await call(t, "POST", "/auth/login/", { name: "Piped", password: "piped-pass-33" })).status, 200);
    } finally {
      await t.stop();
    }
  });

  it("user list prints every account in name order; --search keeps those whose name or mail contains it", async () => {
    const t = await startTestServer({ auth: { adminKey: KEY } });
    try {
      for (const [name, mail] of [["carol", null], ["Alice", "alice@example.org"], ["bob", "bob@corp.EXAMPLE"]]) {
        const made = await call(t, "POST", "/api/admin/accounts", { name, password: "list-pass-123", mail }, bearer(KEY));
        assert.equal(made.status, 201, JSON.stringify(made.body));
      }
      const url = ["--url", t.url];
      const [all, some, none, extra] = await Promise.all([
        cli(["user", "list", ...url], withKey),
        cli(["user", "list", "--search", "example", ...url], withKey),
        cli(["user", "list", "--search", "zed", ...url], withKey),
        cli(["user", "list", "bob", ...url], withKey),
      ]);
      const names = (run: Run) => run.stdout.trimEnd().split("\n").slice(1).map((line) => line.split(" ")[0]);
      assert.equal(all.code, 0, all.stderr);
      assert.match(all.stdout, /^name +id +mail\n/);
      assert.deepEqual(names(all), ["Alice", "bob", "carol"]);
      assert.match(all.stdout, /\nAlice +\S+ +alice@example\.org\n/);
      assert.equal(some.code, 0, some.stderr);
      assert.deepEqual(names(some), ["Alice", "bob"]);
      assert.deepEqual([none.code, none.stdout], [0, "no user's name, mail or id matches zed\n"]);
      assert.equal(extra.code, 1);
      assert.match(extra.stderr, /^usage: switchboard user list/);
    } finally {
      await t.stop();
    }
  });

  it("publish into a room and a topic, kick with a ban, and stats", async () => {
    const t = await startTestServer({ auth: { adminKey: KEY } });
    try {
      const url = ["--url", t.url];
      const { c, user } = await instalk(t);
      c.send({ r: "cli-room", o: "join" });
      await c.waitFor((f) => f.o === "room-welcome");
      const posted = await cli(["publish", "cli-room", "hello from the shell", ...url], withKey);
      assert.deepEqual([posted.code, posted.stdout], [0, "stored in room:cli-room as #1\n"], posted.stderr);
      const got = (await c.waitFor((f) => f.o === "msg")) as { data: { body: string; sid: string } };
      assert.deepEqual([got.data.body, got.data.sid], ["hello from the shell", "system"]);
      const [topic, text, stats, asJson] = await Promise.all([
        cli(["publish", "--topic", "cli.news", '{"n":1}', ...url], withKey),
        cli(["publish", "--topic", "cli.news", "plain words", ...url], withKey),
        cli(["stats", ...url], withKey),
        cli(["stats", "--json", ...url], withKey),
      ]);
      assert.match(topic.stdout, /^stored in topic:cli\.news as #\d+\n$/, topic.stderr);
      assert.match(text.stdout, /^stored in topic:cli\.news as #\d+\n$/, text.stderr);
      assert.equal(stats.code, 0, stats.stderr);
      assert.ok(stats.stdout.includes(t.server.core.broker.nodeId), stats.stdout);
      assert.match(stats.stdout, /^connections: \d+/m);
      assert.equal(JSON.parse(asJson.stdout).node.id, t.server.core.broker.nodeId);
      const kicked = await cli(["kick", "cli-room", user.id as string, "--ban", "--message", "enough", ...url], withKey);
      assert.deepEqual([kicked.code, kicked.stdout], [0, `banned ${user.id} from cli-room\n`], kicked.stderr);
      assert.deepEqual((await c.waitFor((f) => f.o === "room-bye")).reason, { code: "room.banned" });
      const again = await cli(["kick", "cli-room", user.id as string, ...url], withKey);
      assert.deepEqual([again.code, again.stderr.split(" (")[0]], [1, "cannot kick: user.not-member"]);
      c.close();
    } finally {
      await t.stop();
    }
  });

  it("refusals: no --url, no key, a wrong key, no server, a bad flag; SWITCHBOARD_ADMIN_KEY does not disturb data-folder commands", async () => {
    const t = await startTestServer({ auth: { adminKey: KEY } });
    const dir = await dataDir();
    // A port nothing listens on: taken from the system, then given back.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    try {
      const runs = await Promise.all([
        cli(["stats"], withKey),
        cli(["stats", "--url", t.url]),
        cli(["stats", "--url", t.url, "--admin-key", "wrong-key-0123456789"]),
        cli(["stats", "--url", `http://127.0.0.1:${deadPort}`], withKey),
        cli(["kick", "room", "--url", t.url], withKey),
        cli(["stats", "--url", t.url, "--verbose"], withKey),
        cli(["user", "add", "Local", "--password", "local-pass-1", "--data", dir], withKey),
      ]);
      const expected = [
        /^this command talks to a running server: give --url http:\/\/host:port\n$/,
        /^the admin key is needed: --admin-key <key> or \$SWITCHBOARD_ADMIN_KEY/,
        /^the server refused the admin key \(admin\.unauthorized\)\n$/,
        /^cannot reach http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED\n$/,
        /^usage: switchboard kick <room> <user id>/,
        /Unknown option '--verbose'/,
      ];
      expected.forEach((pattern, i) => {
        assert.equal(runs[i].code, 1, `run ${i}: ${runs[i].stderr}`);
        assert.match(runs[i].stderr, pattern, `run ${i}`);
        assert.ok(!runs[i].stderr.includes(KEY), "the key is never printed");
      });
      assert.equal(runs[6].code, 0, runs[6].stderr);
    } finally {
      await t.stop();
    }
  });
});
