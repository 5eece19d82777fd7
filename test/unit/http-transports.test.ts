import assert from "node:assert/strict";
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, it } from "node:test";
import { WebSocket, WebSocketServer } from "ws";
import { defaults } from "../../src/config/schema.js";
import { OutFrame } from "../../src/core/types.js";
import { HttpSessions, nodeOfSid, type HttpSessionSettings, type SessionForwarder } from "../../src/transport/http-sessions.js";
import type { HttpTransport } from "../../src/transport/http-transport.js";
import { POLL_GONE_MS, POLL_LINGER_MS, POLL_WAIT_MS, PollTransport, type PollResult, type PollWaiter } from "../../src/transport/poll-transport.js";
import { SSE_KEEPALIVE_MS, SseTransport } from "../../src/transport/sse-transport.js";
import { TimerWheel } from "../../src/transport/timer-wheel.js";
import type { Transport } from "../../src/transport/transport.js";
import { TransportSocket, WsTransport } from "../../src/transport/ws-transport.js";

async function until(check: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A wheel on a clock the test moves forward: long waits (25 s polls) pass at once. */
class Clock {
  offset = 0;
  readonly wheel = new TimerWheel(10, () => Date.now() + this.offset);
  advance(ms: number): void {
    this.offset += ms;
  }
}

const clocks: Clock[] = [];
const wheels: TimerWheel[] = [];
const servers: Server[] = [];
afterEach(async () => {
  for (const c of clocks.splice(0)) c.wheel.stop();
  for (const w of wheels.splice(0)) w.stop();
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

interface Recorded {
  closes: Array<{ code: number; abrupt: boolean }>;
  slow: Transport[];
  ended: HttpTransport[];
  forgotten: PollTransport[];
}

function pollSession(maxQueueBytes = 1 << 20): { t: PollTransport; clock: Clock; seen: Recorded; answers: PollResult[]; waiter: PollWaiter } {
  const clock = new Clock();
  clocks.push(clock);
  const seen: Recorded = { closes: [], slow: [], ended: [], forgotten: [] };
  const t = new PollTransport("sid", "127.0.0.1", { wheel: clock.wheel, maxQueueBytes, onSlowReader: (x) => seen.slow.push(x) }, (x) => seen.ended.push(x), (x) => seen.forgotten.push(x));
  t.bind({ onFrame: () => undefined, onClose: (code, abrupt) => seen.closes.push({ code, abrupt }) });
  const answers: PollResult[] = [];
  return { t, clock, seen, answers, waiter: { answer: (r) => answers.push(r) > 0 } };
}

const turn = () => new Promise((r) => setImmediate(r));

describe("long-poll transport", () => {
  it("frames queued between polls go out in one answer; an idle poll is answered empty when its wait runs out", async () => {
    const { t, clock, answers, waiter } = pollSession();
    t.write("a");
    t.write(new OutFrame("b"));
    t.attach(waiter);
    assert.deepEqual(answers, [{ frames: ["a", "b"] }]);
    t.attach(waiter);
    assert.equal(answers.length, 1, "nothing to say: the poll is held");
    clock.advance(POLL_WAIT_MS + 100);
    await until(() => answers.length === 2, "the empty answer");
    assert.deepEqual(answers[1], { frames: [] });
  });

  it("a held poll is answered at the end of the turn that wrote, with everything that turn wrote", async () => {
    const { t, answers, waiter } = pollSession();
    t.attach(waiter);
    t.write("x");
    t.write("y");
    await turn();
    assert.deepEqual(answers, [{ frames: ["x", "y"] }]);
  });

  it("frames for a poll whose client left before the answer wait for the next poll", async () => {
    const { t, answers, waiter } = pollSession();
    t.attach({ answer: () => false });
    t.write("kept");
    await turn();
    t.write("after");
    t.attach(waiter);
    assert.deepEqual(answers, [{ frames: ["kept", "after"] }]);
  });

  it("a newer poll answers the older one, empty", () => {
    const { t, answers } = pollSession();
    const first: PollResult[] = [];
    t.attach({ answer: (r) => first.push(r) > 0 });
    t.attach({ answer: (r) => answers.push(r) > 0 });
    assert.deepEqual(first, [{ frames: [] }]);
  });

  it("after the close, the next poll gets the last frames, the one after it the close; then the session is forgotten", () => {
    const { t, seen, answers, waiter } = pollSession();
    t.write("last");
    t.close(1000, "timeout");
    assert.deepEqual(seen.closes, [{ code: 1000, abrupt: false }]);
    assert.equal(t.open, false);
    t.attach(waiter);
    t.attach(waiter);
    assert.deepEqual(answers, [{ frames: ["last"] }, { ended: { code: 1000, reason: "timeout" } }]);
    assert.deepEqual(seen.forgotten, [t]);
  });

  it("an ended session nobody collects is forgotten after its linger", async () => {
    const { t, clock, seen } = pollSession();
    t.close(1001, "bye");
    clock.advance(POLL_LINGER_MS + 100);
    await until(() => seen.forgotten.length === 1, "the linger to end");
  });

  it("a session nobody polls is lost, abruptly, as a dead TCP connection would be", async () => {
    const { t, clock, seen } = pollSession();
    t.write("never read");
    clock.advance(POLL_GONE_MS + 100);
    await until(() => seen.closes.length === 1, "the loss");
    assert.deepEqual(seen.closes, [{ code: 1006, abrupt: true }]);
    assert.equal(t.backlog, 0, "what waited is dropped");
  });

  it("a reader that lets more than maxQueueBytes pile up unsent is cut off", () => {
    const { t, seen } = pollSession(65_536);
    for (let i = 0; i < 20; i++) t.write("z".repeat(4096));
    assert.deepEqual(seen.slow, [t]);
    // Told why, as a WebSocket's slow reader is: the 410 of its next poll carries this close.
    assert.deepEqual(seen.closes, [{ code: 1008, abrupt: false }]);
  });

  it("onFlushed runs once a poll carried the frames, never when the session ends first", () => {
    const { t, waiter } = pollSession();
    const ran: string[] = [];
    t.write("a");
    t.onFlushed(() => ran.push("carried"));
    assert.equal(ran.length, 0, "not before a poll took the frames");
    t.attach(waiter);
    assert.equal(ran.join(), "carried");
    t.write("b");
    t.onFlushed(() => ran.push("lost"));
    t.terminate();
    t.attach(waiter);
    assert.deepEqual(ran, ["carried"]);
  });
});

/** An HTTP server whose every request gets `handle`. */
async function serve(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer(handle);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Reads an SSE response as it comes. */
function stream(url: string): Promise<{ text: () => string; ended: Promise<void>; destroy: () => void }> {
  return new Promise((resolve) => {
    let got = "";
    const req = request(url, (res) => {
      res.setEncoding("utf8");
      const ended = new Promise<void>((done) => res.on("close", () => done()));
      res.on("data", (chunk: string) => (got += chunk));
      resolve({ text: () => got, ended, destroy: () => req.destroy() });
    });
    req.on("error", () => undefined);
    req.end();
  });
}

describe("SSE transport", () => {
  it("opens with the session id, sends each frame as one event, ends with the close", async () => {
    const clock = new Clock();
    clocks.push(clock);
    const closes: number[] = [];
    let t: SseTransport | null = null;
    const base = await serve((_req, res) => {
      t = new SseTransport(res, "the-sid", "127.0.0.1", { wheel: clock.wheel, maxQueueBytes: 1 << 20, onSlowReader: () => undefined }, () => undefined);
      t.bind({ onFrame: () => undefined, onClose: (code) => closes.push(code) });
    });
    const s = await stream(base);
    await until(() => t !== null, "the stream");
    const shared = new OutFrame('{"n":1}');
    t!.write(shared);
    t!.write("two\nlines");
    await until(() => s.text().includes("two"), "the events");
    t!.close(4000, "done");
    await s.ended;
    assert.equal(s.text(), 'event: open\ndata: {"sid":"the-sid"}\n\ndata: {"n":1}\n\ndata: two\ndata: lines\n\nevent: close\ndata: {"code":4000,"reason":"done"}\n\n');
    assert.deepEqual(closes, [4000]);
  });

  it("an idle stream gets a keep-alive comment; a client that drops it is an abrupt close", async () => {
    const clock = new Clock();
    clocks.push(clock);
    const closes: Array<{ code: number; abrupt: boolean }> = [];
    let t: SseTransport | null = null;
    const base = await serve((_req, res) => {
      t = new SseTransport(res, "s", "127.0.0.1", { wheel: clock.wheel, maxQueueBytes: 1 << 20, onSlowReader: () => undefined }, () => undefined);
      t.bind({ onFrame: () => undefined, onClose: (code, abrupt) => closes.push({ code, abrupt }) });
    });
    const s = await stream(base);
    await until(() => t !== null, "the stream");
    clock.advance(SSE_KEEPALIVE_MS + 100);
    await until(() => s.text().endsWith(":\n\n"), "the keep-alive");
    s.destroy();
    await until(() => closes.length === 1, "the loss");
    assert.deepEqual(closes, [{ code: 1006, abrupt: true }]);
  });
});

describe("HTTP sessions", () => {
  it("a session id names its node; ids that are not ours to read name none", () => {
    const sessions = new HttpSessions({ nodeId: "node-1:4040", wheel: new TimerWheel(), maxQueueBytes: 1 << 20, maxPayload: 1024, onSlowReader: () => undefined, track: () => () => undefined });
    let sid = "";
    const fake = { writeHead: () => fake, end: (body: string) => (sid = (JSON.parse(body) as { sid: string }).sid), on: () => fake, once: () => fake };
    const t = sessions.open("poll", { headers: {} } as IncomingMessage, fake as unknown as ServerResponse, "127.0.0.1", "test");
    assert.equal(t.sid, sid);
    assert.equal(nodeOfSid(sid), "node-1:4040");
    assert.equal(nodeOfSid("no-dot-here"), null);
    assert.equal(nodeOfSid("!!!.x"), null);
    t.terminate();
  });

  it("frames POSTed on another node are forwarded to the session's own; without a forwarder the answer is 421", async () => {
    const wheel = new TimerWheel();
    const frames: string[] = [];
    const home = new HttpSessions({ nodeId: "home", wheel, maxQueueBytes: 1 << 20, maxPayload: 64, onSlowReader: () => undefined, track: () => () => undefined });
    const elsewhere = new HttpSessions({ nodeId: "elsewhere", wheel, maxQueueBytes: 1 << 20, maxPayload: 64, onSlowReader: () => undefined, track: () => () => undefined });
    let session: HttpTransport | null = null;
    const closes: number[] = [];
    const homeUrl = await serve((req, res) => {
      const sid = new URL(req.url ?? "/", "http://x").searchParams.get("sid");
      if (sid === null) {
        session = home.open("poll", req, res, "127.0.0.1", "test");
        session.bind({ onFrame: (data) => frames.push(data.toString()), onClose: (code) => closes.push(code) });
        return;
      }
      void home.serve("poll", sid, req, res);
    });
    const otherUrl = await serve((req, res) => void elsewhere.serve("poll", new URL(req.url ?? "/", "http://x").searchParams.get("sid") ?? "", req, res));
    const { sid } = (await (await fetch(homeUrl)).json()) as { sid: string };
    const post = (url: string, body: string) => fetch(`${url}/?sid=${encodeURIComponent(sid)}`, { method: "POST", body });
    assert.equal((await post(otherUrl, "a")).status, 421);
    elsewhere.forwarder = {
      deliver: async (node, id, fs) => (node === "home" ? home.deliver(id, fs.map((f) => Buffer.from(f))) : null),
      poll: async () => null,
      hangUp: async () => null,
    } satisfies SessionForwarder;
    assert.equal((await post(otherUrl, "one\x1etwo")).status, 204);
    assert.equal((await post(homeUrl, "three")).status, 204);
    assert.deepEqual(frames, ["one", "two", "three"]);
    assert.equal((await post(homeUrl, "x".repeat(100))).status, 413);
    assert.deepEqual(closes, [1009], "a body over the cap closes the session, as a WebSocket message over it would");
    assert.equal((await post(homeUrl, "late")).status, 410);
    wheel.stop();
  });
});

describe("HTTP sessions: CORS and settings (`transports.*`)", () => {
  const listed = "https://app.example";

  /** One node's sessions behind a server: GET `/<kind>` opens one, anything with `?sid=` names one. */
  async function node(settings: Partial<HttpSessionSettings>): Promise<{ url: string; sessions: HttpSessions }> {
    const wheel = new TimerWheel(10);
    wheels.push(wheel);
    const sessions = new HttpSessions({ nodeId: "n", wheel, maxQueueBytes: 1 << 20, maxPayload: 1024, onSlowReader: () => undefined, track: () => () => undefined });
    sessions.settings = () => ({ ...defaults.transports, ...settings });
    const url = await serve((req, res) => {
      const at = new URL(req.url ?? "/", "http://x");
      const kind = at.pathname === "/sse" ? "sse" : "poll";
      const sid = at.searchParams.get("sid");
      if (sid !== null) return void sessions.serve(kind, sid, req, res);
      sessions.open(kind, req, res, "127.0.0.1", "test").bind({ onFrame: () => undefined, onClose: () => undefined });
    });
    return { url, sessions };
  }

  it("the configuration's defaults are the transports' built-in times, with no origin listed", () => {
    assert.deepEqual(defaults.transports, { pollWaitMs: POLL_WAIT_MS, pollGoneMs: POLL_GONE_MS, pollLingerMs: POLL_LINGER_MS, sseKeepAliveMs: SSE_KEEPALIVE_MS, allowedOrigins: [] });
  });

  it("every answer allows the request's Origin back; credentials only for transports.allowedOrigins; preflights naming a session get 204", async () => {
    const { url } = await node({ allowedOrigins: [listed] });
    const other = "https://elsewhere.example";
    const opened = await fetch(`${url}/poll`, { headers: { origin: other } });
    assert.equal(opened.headers.get("access-control-allow-origin"), other);
    assert.equal(opened.headers.get("access-control-allow-credentials"), null);
    assert.match(String(opened.headers.get("vary")), /Origin/);
    const { sid } = (await opened.json()) as { sid: string };
    const at = `${url}/poll?sid=${encodeURIComponent(sid)}`;

    const pre = await fetch(at, { method: "OPTIONS", headers: { origin: listed, "access-control-request-method": "DELETE", "access-control-request-headers": "content-type" } });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get("access-control-allow-origin"), listed);
    assert.equal(pre.headers.get("access-control-allow-credentials"), "true");
    assert.match(String(pre.headers.get("access-control-allow-methods")), /DELETE/);
    assert.equal(pre.headers.get("access-control-allow-headers"), "content-type");

    const posted = await fetch(at, { method: "POST", body: "frame", headers: { origin: listed } });
    assert.equal(posted.status, 204);
    assert.equal(posted.headers.get("access-control-allow-origin"), listed);
    assert.equal(posted.headers.get("access-control-allow-credentials"), "true");
    const gone = await fetch(at, { method: "DELETE", headers: { origin: other } });
    assert.equal(gone.status, 204);
    assert.equal(gone.headers.get("access-control-allow-origin"), other);
    const closed = await fetch(at, { headers: { origin: other } });
    assert.equal(closed.status, 410);
    assert.equal(closed.headers.get("access-control-allow-origin"), other);
    const unknown = await fetch(`${url}/poll?sid=nope`, { method: "POST", body: "x", headers: { origin: other } });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.headers.get("access-control-allow-origin"), other);
    assert.equal((await fetch(`${url}/poll`)).headers.get("access-control-allow-origin"), null, "no Origin, no CORS");
  });

  it("an SSE stream allows the Origin back too", async () => {
    const { url, sessions } = await node({ allowedOrigins: [listed] });
    const ac = new AbortController();
    const res = await fetch(`${url}/sse`, { headers: { origin: listed }, signal: ac.signal });
    assert.equal(res.headers.get("access-control-allow-origin"), listed);
    assert.equal(res.headers.get("access-control-allow-credentials"), "true");
    ac.abort();
    await until(() => sessions.size === 0, "the stream to end");
  });

  it("the poll wait is transports.pollWaitMs, read when the poll is held", async () => {
    const { url, sessions } = await node({});
    const { sid } = (await (await fetch(`${url}/poll`)).json()) as { sid: string };
    sessions.settings = () => ({ ...defaults.transports, pollWaitMs: 100 });
    // Answered empty after the configured wait, not the built-in 25 s.
    const res = await fetch(`${url}/poll?sid=${encodeURIComponent(sid)}`);
    assert.equal(res.status, 204);
  });
});

/** A bare ws server whose sockets become WsTransports. */
async function wsServer(): Promise<{ wss: WebSocketServer; transports: WsTransport[]; sockets: TransportSocket[]; url: string }> {
  // As the node makes them: no client tracking (it would listen on every socket).
  const wss = new WebSocketServer({ port: 0, host: "127.0.0.1", WebSocket: TransportSocket, clientTracking: false });
  await new Promise((r) => wss.once("listening", r));
  const transports: WsTransport[] = [];
  const settings = { maxQueueBytes: 1 << 20, onSlowReader: () => undefined };
  const sockets: TransportSocket[] = [];
  wss.on("connection", (ws, req) => {
    sockets.push(ws);
    transports.push(new WsTransport(ws, req.socket, "127.0.0.1", settings));
  });
  return { wss, transports, sockets, url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}` };
}

describe("WebSocket transport", () => {
  it("frames a shared OutFrame once for every socket, and writes each socket's turn in one batch", async () => {
    const { wss, transports, url } = await wsServer();
    const got: string[][] = [[], []];
    const clients = [new WebSocket(url), new WebSocket(url)];
    clients.forEach((c, i) => c.on("message", (d: Buffer) => got[i].push(d.toString())));
    await until(() => transports.length === 2, "both sockets");
    const flushed: number[] = [];
    const shared = new OutFrame("same bytes");
    for (const [i, t] of transports.entries()) {
      t.write(shared);
      const wire = shared.wire;
      t.write(`own ${i}`);
      t.onFlushed(() => flushed.push(i));
      assert.equal(shared.wire, wire, "framed once");
    }
    assert.ok(shared.wire instanceof Buffer);
    await until(() => got.every((g) => g.length === 2), "the frames");
    assert.deepEqual(got, [["same bytes", "own 0"], ["same bytes", "own 1"]]);
    assert.deepEqual(flushed, [0, 1]);
    const closes: Array<{ code: number; abrupt: boolean }> = [];
    transports[0].bind({ onFrame: () => undefined, onClose: (code, abrupt) => closes.push({ code, abrupt }) });
    transports[1].bind({ onFrame: () => undefined, onClose: (code, abrupt) => closes.push({ code, abrupt }) });
    transports[0].close(4000, "bye");
    clients[1].terminate();
    await until(() => closes.length === 2, "both closes");
    assert.deepEqual(
      closes.sort((a, b) => a.code - b.code),
      [
        { code: 1006, abrupt: true },
        { code: 4000, abrupt: false },
      ],
    );
    await new Promise((r) => wss.close(r));
  });
  it("hears its socket's frames and close through the socket itself: no listener kept per socket", async () => {
    const { wss, transports, sockets, url } = await wsServer();
    const client = new WebSocket(url);
    await until(() => transports.length === 1, "the socket");
    const t = transports[0];
    const heard: string[] = [];
    t.bind({ onFrame: (data, isBinary) => heard.push(`${isBinary ? "bin" : "text"}:${data.toString()}`), onClose: (code) => heard.push(`close:${code}`) });
    assert.equal(sockets[0].eventNames().length, 0);
    client.send("hello");
    client.send(Buffer.from("raw"), { binary: true });
    await until(() => heard.length === 2, "both frames");
    client.close(4001, "done");
    await until(() => heard.length === 3, "the close");
    assert.deepEqual(heard, ["text:hello", "bin:raw", "close:4001"]);
    assert.equal(t.open, false);
    await new Promise((r) => wss.close(r));
  });
  it("a lazy frame (a presence notice) arrives on its own, and never after a later ordinary frame", async () => {
    const { wss, transports, url } = await wsServer();
    const got: string[] = [];
    const client = new WebSocket(url);
    client.on("message", (d: Buffer) => got.push(d.toString()));
    await until(() => transports.length === 1, "the socket");
    const t = transports[0];
    // Alone, it is written at the end of the presence window.
    t.write(new OutFrame("joined 1", true));
    await until(() => got.length === 1, "the lazy frame on its own");
    // Followed by an ordinary frame, both go together, in order.
    t.write(new OutFrame("joined 2", true));
    t.write(new OutFrame("joined 3", true));
    t.write("a reply");
    // Many small frames in one turn are copied into one buffer: still separate frames, in order.
    for (let i = 0; i < 20; i++) t.write(`m${i}`);
    await until(() => got.length === 24, "every frame");
    assert.deepEqual(got, ["joined 1", "joined 2", "joined 3", "a reply", ...Array.from({ length: 20 }, (_, i) => `m${i}`)]);
    client.terminate();
    await new Promise((r) => wss.close(r));
  });
});
