// Malformed HTTP is answered, as Node's own server answers it by default —
// 400, 431 or 413 and a close — instead of a silently dropped socket; and a
// client that abandons an upload costs no error-level log line.
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { startTestServer, type TestServer } from "../helpers/server.js";

/** Writes `raw` on a fresh TCP connection and resolves with everything the server sent before it closed. */
function exchange(t: TestServer, raw: string | Buffer, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(t.port, "127.0.0.1");
    let got = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no close within ${timeoutMs} ms; got ${JSON.stringify(got)}`));
    }, timeoutMs);
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => (got += chunk));
    socket.on("error", () => undefined);
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(got);
    });
    socket.write(raw);
  });
}

const statusOf = (response: string) => Number(/^HTTP\/1\.1 (\d{3}) /.exec(response)?.[1] ?? 0);

/** Error-level log lines (pino: 50 and up). */
const errors = (t: TestServer) => t.logs.filter((l) => typeof l.level === "number" && l.level >= 50);

describe("malformed HTTP gets an answer and a close", () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.stop());

  const cases: Array<[string, string | Buffer, number]> = [
    ["an unknown method", "BREW /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 400],
    ["headers over the limit", `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`, 431],
    ["Content-Length together with chunked encoding", "POST /api/sessions HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400],
    ["two different Content-Lengths", "POST /api/sessions HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400],
    ["a line that is not HTTP", "HELLO THERE\r\n\r\n", 400],
    ["a header without a colon", "GET /healthz HTTP/1.1\r\nHost x\r\n\r\n", 400],
    ["a chunk size that is not hex", "POST /websocket/poll?sid=x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", 400],
  ];
  for (const [what, raw, status] of cases) {
    it(`${what}: ${status} with Connection: close, then the socket closes`, async () => {
      const response = await exchange(t, raw);
      assert.equal(statusOf(response), status, response.slice(0, 200));
      assert.match(response, /\r\nconnection: close\r\n/i);
      const body = response.slice(response.indexOf("\r\n\r\n") + 4);
      assert.equal((JSON.parse(body) as { code: number }).code, status);
    });
  }

  it("a malformed request after a good one on a keep-alive socket is answered too", async () => {
    const response = await exchange(t, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nBREW / HTTP/1.1\r\nHost: x\r\n\r\n");
    const statuses = [...response.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
    assert.deepEqual(statuses, [200, 400]);
  });

  it("the server keeps serving, and none of this is an error of the server's", async () => {
    assert.equal((await fetch(`${t.url}/healthz`)).status, 200);
    assert.deepEqual(errors(t), []);
  });
});

describe("an abandoned upload is not an error", () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.stop());

  /** Starts a POST announcing `announced` bytes, sends `sent` of them, then drops the connection. */
  async function abandon(path: string, announced: number, sent: number): Promise<void> {
    const socket: Socket = connect(t.port, "127.0.0.1");
    socket.on("error", () => undefined);
    await new Promise((r) => socket.once("connect", r));
    socket.write(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${announced}\r\n\r\n`);
    socket.write(Buffer.alloc(sent, 0x20));
    await new Promise((r) => setTimeout(r, 20));
    socket.destroy();
  }

  /** Waits until the server has logged that each abandoned request went away (or answered it): no fixed sleep. */
  async function settled(count: number): Promise<void> {
    const gone = () => t.logs.filter((l) => l.msg === "client went away mid-request" || typeof l.err === "object").length;
    for (let i = 0; i < 500 && gone() < count; i++) await new Promise((r) => setTimeout(r, 10));
  }

  it("POSTs to a session and to fuse's /push abandoned halfway (under their body limits) leave no error-level log line", async () => {
    const { sid } = (await (await fetch(`${t.url}/websocket/poll`)).json()) as { sid: string };
    await abandon(`/websocket/poll?sid=${encodeURIComponent(sid)}`, 50_000_000, 500_000);
    await abandon("/push?name=someone", 20_000, 10_000);
    await settled(2);
    assert.equal((await fetch(`${t.url}/healthz`)).status, 200);
    assert.deepEqual(errors(t), [], JSON.stringify(errors(t)));
  });


  it("a body over the limit is refused with 413, and the connection closed when the upload goes on, not read to its end", async () => {
    const { sid } = (await (await fetch(`${t.url}/websocket/poll`)).json()) as { sid: string };
    const socket = connect(t.port, "127.0.0.1");
    let got = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => (got += chunk));
    socket.on("error", () => undefined);
    const closed = new Promise((r) => socket.once("close", r));
    socket.write(`POST /websocket/poll?sid=${encodeURIComponent(sid)} HTTP/1.1\r\nHost: x\r\nContent-Length: 50000000\r\n\r\n`);
    // Keep sending, as an upload does, past the answer: the server must cut it off long before all 50 MB.
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let written = 0;
    for (let i = 0; i < 760 && !socket.destroyed && socket.writable; i++) {
      if (!socket.write(chunk)) await new Promise((r) => socket.once("drain", r).once("close", r));
      written += chunk.length;
    }
    await closed;
    assert.equal(statusOf(got), 413, got.slice(0, 200));
    assert.ok(written < 50_000_000, `the server read ${written} bytes of the upload`);
    assert.deepEqual(errors(t), []);
  });
});

describe("an abandoned upload to the HTTP API", () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.stop());

  it("leaves no error-level log line", async () => {
    const socket: Socket = connect(t.port, "127.0.0.1");
    socket.on("error", () => undefined);
    await new Promise((r) => socket.once("connect", r));
    socket.write(`POST /api/users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 60000\r\n\r\n${" ".repeat(30_000)}`);
    await new Promise((r) => setTimeout(r, 20));
    socket.destroy();
    for (let i = 0; i < 100 && !t.logs.some((l) => typeof l.err === "object"); i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(errors(t), [], JSON.stringify(errors(t)));
  });
});
