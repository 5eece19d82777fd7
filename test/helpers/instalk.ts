import assert from "node:assert/strict";
import { SocketHarness, useHarness } from "./harness.js";
import type { TestClient } from "./ws-client.js";

/** A parsed server frame; tests read fields freely and assert on them. */
export type Frame = { [key: string]: any };

export interface WireUser {
  id: string;
  username: string;
  color: string;
  verified: boolean;
  /** The original Instalk client's view of the same user (additive). */
  auth: boolean;
  info: { name: string; color: string };
}

let rooms = 0;
/** A room id no other test uses. */
export const newRoom = (prefix = "room") => `${prefix}-${process.pid}-${++rooms}`;

let heartBeats = 0;

/** One instalk socket as a test drives it. */
export class Peer {
  user!: WireUser;
  constructor(readonly c: TestClient) {}

  send(value: unknown): void {
    this.c.send(value);
  }

  next(timeoutMs?: number): Promise<Frame> {
    return this.c.next(timeoutMs);
  }

  waitFor(match: (f: Frame) => boolean, timeoutMs?: number): Promise<Frame> {
    return this.c.waitFor(match, timeoutMs);
  }

  /** The next frame about room `r` with operation `o`, skipping others. */
  op(r: string, o: string, timeoutMs?: number): Promise<Frame> {
    return this.waitFor((f) => f.r === r && f.o === o, timeoutMs);
  }

  async join(r: string): Promise<Frame> {
    this.send({ r, o: "join" });
    return (await this.op(r, "room-welcome")).data as Frame;
  }

  say(r: string, body: string, extra: Frame = {}): void {
    this.send({ r, o: "msg", data: { body, ...extra } });
  }

  /** Sends a message and waits until it comes back stored. */
  async said(r: string, body: string): Promise<Frame> {
    this.say(r, body);
    return this.waitFor((f) => f.r === r && f.o === "msg" && f.data.body === body);
  }

  /** Every frame before the ack of a fresh heart-beat: what the server queued for this socket so far. */
  async drain(): Promise<Frame[]> {
    const n = ++heartBeats * 1000 + 7;
    this.send({ "heart-beat": n });
    const seen: Frame[] = [];
    for (;;) {
      const f = await this.next();
      if (f["heart-beat-ack"] === n) return seen;
      seen.push(f);
    }
  }

  /** Sends one history request and returns its reply's `data`. */
  async history(r: string, o: "load" | "sync" | "fetch", data: Frame): Promise<Frame> {
    this.send({ r, o, data });
    return (await this.op(r, o)).data as Frame;
  }

  /** Collects `count` stored msg frames of room `r`, in arrival order. */
  async msgs(r: string, count: number, timeoutMs = 5000): Promise<Frame[]> {
    const out: Frame[] = [];
    while (out.length < count) out.push(await this.op(r, "msg", timeoutMs));
    return out;
  }

  close(): Promise<unknown> {
    this.c.close();
    return this.c.waitClose().catch(() => undefined);
  }
}

/** Sends `{"v":"0.1"}` on a fresh socket and reads the welcome. */
export async function initialised(c: TestClient): Promise<Peer> {
  const p = new Peer(c);
  p.send({ v: "0.1" });
  const welcome = await p.next();
  assert.equal(welcome.welcome, 1, JSON.stringify(welcome));
  p.user = welcome.user as WireUser;
  return p;
}

/** A server for instalk tests and the instalk sockets they open. */
export class InstalkHarness extends SocketHarness {
  /** A bare socket on /websocket (nothing sent yet). */
  socket(query = "", headers: Record<string, string> = {}): Promise<TestClient> {
    return this.connect(`/websocket${query}`, headers);
  }

  /** A socket past init: `{"v":"0.1"}` sent and its welcome read. */
  async peer(query = "", headers: Record<string, string> = {}): Promise<Peer> {
    return initialised(await this.socket(query, headers));
  }

  /** `n` initialised sockets, all joined to `r` (joined frames between them already consumed). */
  async members(r: string, n: number): Promise<Peer[]> {
    const peers: Peer[] = [];
    for (let i = 0; i < n; i++) {
      const p = await this.peer();
      await p.join(r);
      peers.push(p);
    }
    for (const p of peers) await p.drain();
    return peers;
  }
}

/** One instalk harness for the enclosing `describe` (see `useHarness`). */
export function instalkServer(overrides: Record<string, unknown> = {}): InstalkHarness {
  return useHarness(new InstalkHarness(), overrides);
}

/** A generous flood allowance, for tests that send hundreds of frames on purpose. */
export const unthrottled = { limits: { messagesPerSecond: 100_000, burst: 100_000 } };

export function assertUser(u: unknown, verified = false): asserts u is WireUser {
  const user = u as WireUser;
  assert.deepEqual(Object.keys(user).sort(), ["auth", "color", "id", "info", "username", "verified"]);
  assert.match(user.id, /^[0-9A-Za-z-]{6,}$/);
  assert.match(user.color, /^#[0-9A-F]{6}$/i);
  assert.equal(user.verified, verified);
  // The original client's fields repeat the seed's.
  assert.equal(user.auth, verified);
  assert.deepEqual(user.info, { name: user.username, color: user.color });
}

export function assertGuest(u: unknown): asserts u is WireUser {
  assertUser(u);
  assert.match((u as WireUser).username, /^Guest-\d{4,}$/);
}

/** `{"$date":"<ISO>"}` close to now. */
export function assertTime(t: unknown): void {
  const time = t as { $date: string };
  assert.deepEqual(Object.keys(time), ["$date"]);
  assert.equal(new Date(time.$date).toISOString(), time.$date);
  assert.ok(Math.abs(Date.parse(time.$date) - Date.now()) < 60_000, `time ${time.$date} is not now`);
}

/** Polls `check` until it holds (or fails after `timeoutMs`). */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 3000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** How many connections the server has in the presence of room `r`. */
export async function presenceCount(h: InstalkHarness, r: string): Promise<number> {
  return (await h.t.server.core.broker.presence.list(`room:${r}`)).length;
}

export const nrs = (frames: Frame[]) => frames.map((f) => f.data.nr as number);
export const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
