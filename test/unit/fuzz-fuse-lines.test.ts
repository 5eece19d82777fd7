// Property-based fuzzing of fuse's line protocol: the pure line parser and
// field checks (src/dialects/fuse/line.ts), then lines — random text and
// lines shaped like fuse's own commands — over a real server's /fuse socket.
// Every line gets exactly one direct reply, `<its type>|…` or `main|fail|…`
// (an exception never escapes), no line the server sends carries a CR or
// LF, and the socket stays open. SWITCHBOARD_TEST_FUZZ_RUNS raises the count
// (npm run soak: 100,000 per property).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { WebSocket } from "ws";
import { DIGITS, hasBreak, NAME, parseLine, validMail, validMove } from "../../src/dialects/fuse/line.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

const RUNS = Number(process.env.SWITCHBOARD_TEST_FUZZ_RUNS ?? 2000);
const SOCKET_RUNS = Number(process.env.SWITCHBOARD_TEST_FUZZ_RUNS ?? 300);

const COMMANDS = ["user", "salt", "open", "room", "list", "join", "quit", "kick", "lock", "exit", "chat", "send", "move", "save", "load", "info", "ping", "time", "ally", "away", "peer", "host"];
const field = fc.oneof(
  fc.constantFrom("", "room", "data", "user", "true", "false", "1+2+3", "1+2+3+4", "0.5+-1e3+.2", "{}", '{"a":1}', "@someone hi", "x".repeat(600)),
  fc.string({ maxLength: 20 }),
  fc.string({ unit: "grapheme", maxLength: 12 }),
);
const line: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom(...COMMANDS), fc.array(field, { maxLength: 4 })).map(([type, args]) => [type, ...args].join("|")) },
  { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 200 }) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...COMMANDS), fc.constantFrom("\n", "\r\n", "\r", "|\n|")).map(([t, br]) => `${t}${br}x`) },
);

describe("fuzz: fuse's line parser and field checks", () => {
  it("parseLine: the type is the text before the first bar, the fields the rest split on bars", () => {
    fc.assert(
      fc.property(line, (text) => {
        const parsed = parseLine(text);
        const bar = text.indexOf("|");
        assert.equal(parsed.type, bar < 0 ? text : text.slice(0, bar));
        assert.ok(!parsed.type.includes("|"));
        assert.equal(parsed.rest, bar < 0 ? "" : text.slice(bar + 1));
        if (bar >= 0) assert.equal(parsed.args.join("|"), parsed.rest);
        else assert.deepEqual(parsed.args, []);
      }),
      { numRuns: RUNS },
    );
  });

  it("validMove, validMail, hasBreak and the name rules answer a boolean for any input, and agree with the protocol's grammar", () => {
    fc.assert(
      fc.property(fc.array(field, { maxLength: 5 }), field, (args, text) => {
        const move = validMove(args);
        if (move) {
          assert.equal(args[0].split("+").length, 3);
          assert.equal(args[1].split("+").length, 4);
          for (const n of [...args[0].split("+"), ...args[1].split("+")]) assert.ok(Number.isFinite(Number(n)));
        }
        if (validMail(text)) assert.ok(text.indexOf("@", 1) > 0 && !/[\s|]/.test(text));
        assert.equal(hasBreak(text), /[\r\n]/.test(text));
        if (NAME.test(text)) assert.ok(!/[|\s]/.test(text));
        if (DIGITS.test(text)) assert.ok(NAME.test(text));
      }),
      { numRuns: RUNS },
    );
  });
});

/** One fuse socket; lines in arrival order. */
class Lines {
  readonly lines: string[] = [];
  closed: number | null = null;
  private wake: (() => void) | null = null;

  constructor(readonly ws: WebSocket) {
    ws.on("message", (data: Buffer) => {
      this.lines.push(data.toString("utf8"));
      this.wake?.();
    });
    ws.on("close", (code: number) => {
      this.closed = code;
      this.wake?.();
    });
  }

  async next(timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.lines.length === 0) {
      if (this.closed !== null) throw new Error(`socket closed (${this.closed})`);
      if (Date.now() > deadline) throw new Error("no reply");
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return this.lines.shift()!;
  }
}

describe("fuzz: fuse lines over a real socket", () => {
  let t: TestServer;
  let fuse: Lines;
  before(async () => {
    t = await startTestServer({ limits: { messagesPerSecond: 1e9, burst: 1e9 } });
    const ws = new WebSocket(t.ws(`/fuse?name=fuzz${process.pid}`));
    await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
    fuse = new Lines(ws);
  });
  after(async () => {
    fuse.ws.close();
    await t.stop();
  });

  it("every line gets one `<type>|…` or `main|fail|…` reply; nothing the server says holds a line break", async () => {
    await fc.assert(
      fc.asyncProperty(line, async (text) => {
        // What the server reads: the frame, less one trailing newline.
        const type = parseLine(text.replace(/\r?\n$/, "")).type;
        fuse.ws.send(text);
        for (;;) {
          const got = await fuse.next();
          assert.ok(!/[\r\n]/.test(got), `a line break in ${JSON.stringify(got)}`);
          assert.match(got, /^[^|]+(\|[^|]*)*$/);
          // Broadcasts this user's own commands cause (here, made, text, …) may come first: the reply is the one for this line.
          if (got.startsWith(`${type}|done`) || got.startsWith(`${type}|fail|`) || got.startsWith("main|fail|")) break;
        }
        assert.equal(fuse.closed, null);
      }),
      { numRuns: SOCKET_RUNS },
    );
    assert.equal((await fetch(`${t.url}/healthz`)).status, 200);
    assert.deepEqual(t.logs.filter((l) => typeof l.level === "number" && l.level >= 50), [], "no command failed");
  });
});
