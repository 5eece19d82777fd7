// The original fuse clients against Switchboard: every item of the
// "Compatibility with the original fuse clients" section of
// shared/protocols/fuse.md. The C# (Unity) plugin sends no cookie, keeps ONE
// keep-alive socket for all its pushes and pulls by name (legacy mode); the
// HTML page pulls right after registering. Over HTTP push/pull, and WebSocket.
import assert from "node:assert/strict";
import { Agent, request, type IncomingHttpHeaders } from "node:http";
import { connect, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { FuseClient, md5, newName, Pull, push } from "../helpers/fuse.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

/** Generous: the suite must pass on a loaded two-core machine. */
const WAIT_MS = 10_000;

interface Answer {
  status: number;
  text: string;
  headers: IncomingHttpHeaders;
}

/**
 * The C# plugin's push side: one `http.Agent` with keep-alive and a single
 * socket, no cookie jar, the name on every request. Every socket it was ever
 * given is recorded: a server that closes the idle socket shows up as a second one.
 */
class OneSocketPusher {
  readonly agent = new Agent({ keepAlive: true, maxSockets: 1 });
  readonly sockets = new Set<Socket>();
  /** When the last answer ended (ms epoch). */
  lastAnswer = 0;

  constructor(
    private readonly t: TestServer,
    readonly name: string,
  ) {}

  /** `GET /push?name=…&data=<line>`, or with `post` the line as the body. */
  push(line: string, post = false): Promise<Answer> {
    const query = `name=${encodeURIComponent(this.name)}${post ? "" : `&data=${encodeURIComponent(line)}`}`;
    return new Promise((resolve, reject) => {
      const req = request(`${this.t.url}/push?${query}`, { agent: this.agent, method: post ? "POST" : "GET" }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () => {
          this.lastAnswer = Date.now();
          resolve({ status: res.statusCode ?? 0, text, headers: res.headers });
        });
      });
      req.on("socket", (socket: Socket) => this.sockets.add(socket));
      req.on("error", reject);
      req.end(post ? line : undefined);
    });
  }

  async cmd(line: string, post = false): Promise<string> {
    return (await this.push(line, post)).text;
  }

  /** Registers with `md5(pass + name)` as the pass (as the original clients do), then salt and open. */
  async registerAndOpen(pass: string): Promise<void> {
    const secret = md5(pass + this.name);
    assert.match(await this.cmd(`user||${secret}`), /^user\|done\|[0-9a-f]{32}\|\d+$/);
    const salt = (await this.cmd("salt")).split("|")[2];
    assert.equal(await this.cmd(`open|${salt}|${md5(secret + salt)}`), "open|done");
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Skips a pull's lines until one matches. */
async function lineLike(pull: Pull, match: (line: string) => boolean): Promise<string> {
  for (;;) {
    const line = await pull.nextReal(WAIT_MS);
    if (match(line)) return line;
  }
}

/** The next lines of a pull that are not keep-alives, exactly these, in this order. */
async function expectLines(pull: Pull, ...lines: string[]): Promise<void> {
  for (const line of lines) assert.equal(await pull.nextReal(WAIT_MS), line);
}

describe("fuse: the original C# client (legacy mode, one keep-alive push socket, pull by name)", () => {
  let t: TestServer;
  before(async () => {
    // A noop every second marks time on the pulls while the push sockets sit idle.
    t = await startTestServer({ fuse: { legacy: true, noopMs: 1000 } });
  });
  after(() => t.stop());

  it("plays a whole game: register, login, lobby, room, chat, send, move, save/load, quit — every push on one socket, even after a long idle", async () => {
    const alice = new OneSocketPusher(t, newName("alice"));
    const bob = new OneSocketPusher(t, newName("bob"));
    const pulls: Pull[] = [];
    try {
      await alice.registerAndOpen("secret");
      const alicePull = await Pull.open(t, alice.name);
      pulls.push(alicePull);
      assert.equal(alicePull.res.statusCode, 200);
      assert.equal(await alicePull.next(WAIT_MS), "noop");

      await bob.registerAndOpen("hunter2");
      const bobPull = await Pull.open(t, bob.name);
      pulls.push(bobPull);
      assert.equal(await bobPull.next(WAIT_MS), "noop");
      // Registering logged bob in (legacy mode, as the original did); his `open` kept that session: one here.
      await expectLines(alicePull, `here|${bob.name}`);

      // Lobby and room.
      assert.equal(await alice.cmd("room|race|4"), "room|done");
      await expectLines(bobPull, `made|${alice.name}+race+4`);
      assert.equal(await bob.cmd("list|room"), `list|done|room|${alice.name}+race+4`);
      assert.equal(await bob.cmd(`join|${alice.name}`), "join|done");
      await expectLines(alicePull, `here|${bob.name}`);
      await expectLines(bobPull, `here|${alice.name}`);
      assert.equal(await alice.cmd("info|user"), "info|done|2");

      // Talk and play.
      assert.equal(await alice.cmd("chat|hello bob"), "chat|done");
      await expectLines(alicePull, `text|${alice.name}|hello bob`);
      await expectLines(bobPull, `text|${alice.name}|hello bob`);
      assert.equal(await bob.cmd("send|ready"), "send|done");
      await expectLines(alicePull, `sent|${bob.name}|ready`);
      assert.equal(await alice.cmd("move|1.5+0+-2|0+0+0+1|jump"), "move|done");
      await expectLines(bobPull, `data|${alice.name}|1.5+0+-2|0+0+0+1|jump`);

      // Idle longer than Node's default keep-alive (5 s, and the second Node adds): the pulls' noops mark the time; nothing else happens.
      const quietSince = Math.max(alice.lastAnswer, bob.lastAnswer);
      while (Date.now() - quietSince < 7000) assert.equal(await alicePull.next(WAIT_MS), "noop");
      assert.ok(alice.sockets.size === 1 && bob.sockets.size === 1, "still one socket each");

      // Saved data, on the same sockets; one push as a POST body.
      const saved = await bob.cmd('save|score|{"points":10,"level":"two"}', true);
      const [, status, id] = saved.split("|");
      assert.equal(status, "done", saved);
      assert.equal(await bob.cmd(`load|score|${id}`), 'load|done|{"points":10,"level":"two"}');
      assert.equal(await bob.cmd("list|data|score"), `list|done|data|${id}`);

      // Quit, then the creator leaves for good.
      assert.equal(await bob.cmd("quit"), "quit|done");
      await expectLines(alicePull, `gone|${bob.name}`);
      assert.equal(await alice.cmd("exit"), "exit|done");
      await lineLike(bobPull, (line) => line === `halt|${alice.name}`);
      assert.equal(await bob.cmd("exit"), "exit|done");

      assert.equal(alice.sockets.size, 1, "alice's pushes all went over one keep-alive socket");
      assert.equal(bob.sockets.size, 1, "bob's pushes all went over one keep-alive socket");
    } finally {
      for (const p of pulls) p.close();
      alice.close();
      bob.close();
    }
  });

  it("the HTML page: a pull right after user|done streams the new user's lines; a later open keeps that pull", async () => {
    const name = newName("page");
    const page = new OneSocketPusher(t, name);
    let pull: Pull | null = null;
    try {
      const key = (await page.cmd("user||")).split("|")[2];
      pull = await Pull.open(t, name);
      assert.equal(pull.res.statusCode, 200, "logged in by registering");
      assert.equal(await pull.next(WAIT_MS), "noop");
      assert.equal(await page.cmd("chat|first"), "chat|done");
      await expectLines(pull, `text|${name}|first`);
      const salt = (await page.cmd("salt")).split("|")[2];
      assert.equal(await page.cmd(`open|${salt}|${md5(key + salt)}`), "open|done");
      assert.equal(await page.cmd("chat|second"), "chat|done");
      await expectLines(pull, `text|${name}|second`);
      assert.equal(pull.ended, false);
    } finally {
      pull?.close();
      page.close();
    }
  });

  it("an anonymous registration (empty name) is logged in under its id", async () => {
    const reply = await push(t, "", "user||");
    const [, status, , id] = reply.text.split("|");
    assert.equal(status, "done");
    const pull = await Pull.open(t, id);
    try {
      assert.equal(pull.res.statusCode, 200);
      assert.equal((await push(t, id, "chat|anonymous here")).text, "chat|done");
      await expectLines(pull, `text|${id}|anonymous here`);
    } finally {
      pull.close();
    }
  });

  it("registration logs in on the cookie too: user|done sets it, and it works", async () => {
    const name = newName("jar");
    const reply = await push(t, name, "user||");
    assert.match(reply.text, /^user\|done\|/);
    assert.ok(reply.cookie, "user|done sets the session cookie");
    assert.equal((await push(t, name, "ping", { cookie: reply.cookie })).text, "ping|done");
  });

  it("registration logs in on a WebSocket too", async () => {
    const name = newName("sock");
    const c = await FuseClient.connect(t, name);
    try {
      assert.match(await c.cmd("user||"), /^user\|done\|/);
      assert.equal(await c.cmd("ping"), "ping|done");
      assert.equal(await c.cmd("list|room"), "list|done|room");
    } finally {
      c.close();
    }
  });
});

describe("fuse: registration without legacy mode keeps the seed's rule", () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.stop());

  it("user|done does not log in (the seed speaks: it wins outside legacy mode)", async () => {
    const name = newName("seed");
    const reply = await push(t, name, "user||");
    assert.match(reply.text, /^user\|done\|/);
    assert.equal(reply.cookie, null, "no session, so no cookie");
    const pull = await Pull.open(t, name);
    assert.equal(pull.res.statusCode, 401);
    pull.close();
  });
});

describe("fuse: HTTP keep-alive (fuse.keepAliveMs)", () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.stop());

  it("idle keep-alive connections are kept 300 s by default, and the server says so", async () => {
    const pusher = new OneSocketPusher(t, newName("ka"));
    try {
      const answer = await pusher.push("ping");
      assert.equal(answer.headers.connection, "keep-alive");
      assert.equal(answer.headers["keep-alive"], "timeout=300");
      assert.equal(t.server.config.fuse.keepAliveMs, 300_000);
    } finally {
      pusher.close();
    }
  });
});

describe("fuse: fuse.keepAliveMs is the idle keep-alive limit", () => {
  const keepAliveMs = 1000;
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ fuse: { keepAliveMs } });
  });
  after(() => t.stop());

  it("the server closes an idle keep-alive socket once fuse.keepAliveMs has passed, not before", async () => {
    // A bare socket: Node's own Agent would close it first, from the server's `Keep-Alive: timeout` hint.
    const socket = connect(t.port, "127.0.0.1");
    try {
      let text = "";
      let answeredAt = 0;
      socket.setEncoding("utf8");
      socket.on("data", (chunk: string) => {
        text += chunk;
        if (answeredAt === 0 && text.endsWith("main|fail|user not authorized")) answeredAt = Date.now();
      });
      const closedAt = new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("the idle socket was never closed")), WAIT_MS);
        socket.once("close", () => {
          clearTimeout(timer);
          resolve(Date.now());
        });
      });
      socket.write(`GET /push?name=${newName("ka")}&data=ping HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n`);
      const closed = await closedAt;
      assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
      assert.match(text, /\r\nKeep-Alive: timeout=1\r\n/i);
      assert.ok(answeredAt > 0, text);
      assert.ok(closed - answeredAt >= keepAliveMs - 50, `closed ${closed - answeredAt} ms after the answer`);
    } finally {
      socket.destroy();
    }
  });
});
