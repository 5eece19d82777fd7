import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { SocketHarness, useHarness } from "./harness.js";
import type { TestClient } from "./ws-client.js";

/** A parsed server frame; tests read fields freely and assert on them. */
export type Frame = { [key: string]: any };

/** What `POST /api/sessions` answers. */
export interface SessionKey {
  key: string;
  user_id: string;
  name: string;
}

/** A room id no other test uses. */
export const newRoom = () => randomUUID();

let barriers = 0;

/** One relay socket as a test drives it. */
export class RelayPeer {
  constructor(
    readonly c: TestClient,
    readonly session: SessionKey,
  ) {}

  get key(): string {
    return this.session.key;
  }

  get userId(): string {
    return this.session.user_id;
  }

  send(value: unknown): void {
    this.c.send(value);
  }

  next(timeoutMs?: number): Promise<Frame> {
    return this.c.next(timeoutMs);
  }

  /** The next frame of `type`, skipping others (server pings included). */
  of(type: string, timeoutMs?: number): Promise<Frame> {
    return this.c.waitFor((f) => f.type === type, timeoutMs);
  }

  /**
   * Every frame before the pong of a fresh ping: requests are handled in
   * order, so this is what the server sent for everything asked before.
   */
  async drain(): Promise<Frame[]> {
    const time = ++barriers + 0.5;
    this.send({ type: "ping", time });
    const seen: Frame[] = [];
    for (;;) {
      const f = await this.next();
      if (f.type === "pong" && f.time === time) return seen;
      seen.push(f);
    }
  }

  /** Every frame up to and including the first that matches (server pings dropped). */
  async drainUntil(match: (f: Frame) => boolean, timeoutMs = 3000): Promise<Frame[]> {
    const seen: Frame[] = [];
    for (;;) {
      const f = await this.next(timeoutMs);
      if (f.type === "ping") continue;
      seen.push(f);
      if (match(f)) return seen;
    }
  }

  /** Asserts the server answered everything so far with exactly one error of `code` for `ref`. */
  async refused(code: string, ref: string | null): Promise<Frame> {
    const seen = await this.drain();
    assert.equal(seen.length, 1, `expected one error frame, got ${JSON.stringify(seen)}`);
    const [f] = seen;
    assert.deepEqual(Object.keys(f).sort(), ["code", "message", "ref", "type"]);
    assert.equal(f.type, "error");
    assert.equal(f.code, code, JSON.stringify(f));
    assert.equal(f.ref, ref);
    assert.equal(typeof f.message, "string");
    return f;
  }

  /** Sends each frame in turn and checks each is refused with `code`, `ref` being the frame's type. */
  async refusesEach(frames: Frame[], code: string): Promise<void> {
    for (const frame of frames) {
      this.send(frame);
      await this.refused(code, frame.type);
    }
  }

  /** Asserts nothing at all came back for what was sent so far. */
  async quiet(): Promise<void> {
    assert.deepEqual(await this.drain(), []);
  }

  /** Answers every server ping from now on, as a live client would (the pings stay in the frame queue). */
  autoPong(): void {
    this.c.ws.on("message", (data: Buffer) => {
      const f = JSON.parse(data.toString("utf8")) as Frame;
      if (f.type === "ping") this.send({ type: "pong", time: f.time });
    });
  }

  enter(room_id: string): void {
    this.send({ type: "enter", room_id });
  }

  /** Enters, and checks the server answered nothing: an accepted enter has no reply, and a user is not told of its own entry. */
  async entered(room_id: string): Promise<void> {
    this.enter(room_id);
    await this.quiet();
  }

  say(room_id: string, content: string, extra: Frame = {}): void {
    this.send({ type: "message", key: this.key, content, room_id, ...extra });
  }

  close(): Promise<unknown> {
    this.c.close();
    return this.c.waitClose().catch(() => undefined);
  }
}

/** A relay server for a `describe` block, with session keys and relay sockets. */
export class RelayHarness extends SocketHarness {
  async newKey(body: Frame = { anonymous: true }): Promise<SessionKey> {
    const res = await fetch(`${this.t.url}/api/sessions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    assert.equal(res.status, 201);
    return (await res.json()) as SessionKey;
  }

  async revoke(key: string): Promise<number> {
    return (await fetch(`${this.t.url}/api/sessions/${encodeURIComponent(key)}`, { method: "DELETE" })).status;
  }

  /** The HTTP status an upgrade to /relay with this query gets refused with. */
  async refusedStatus(query: string): Promise<number | undefined> {
    const err = await this.connect(`/relay${query}`).then(
      () => null,
      (e: { status?: number }) => e,
    );
    assert.ok(err, "the upgrade was accepted");
    return err.status;
  }

  /** A socket on /relay for `session` (a fresh anonymous one by default). */
  async peer(session?: SessionKey): Promise<RelayPeer> {
    const s = session ?? (await this.newKey());
    return new RelayPeer(await this.connect(`/relay?key=${encodeURIComponent(s.key)}`), s);
  }

  /** `n` sockets of one user (one session key, like tabs of one device). */
  async tabs(n: number): Promise<RelayPeer[]> {
    const s = await this.newKey();
    const peers: RelayPeer[] = [];
    for (let i = 0; i < n; i++) peers.push(await this.peer(s));
    return peers;
  }

  /** `n` peers of distinct users, all in `room` (first one the creator), the enter events between them consumed. */
  async members(room: string, n: number): Promise<RelayPeer[]> {
    const peers: RelayPeer[] = [];
    for (let i = 0; i < n; i++) {
      const p = await this.peer();
      await p.entered(room);
      peers.push(p);
    }
    for (const p of peers) await p.drain();
    return peers;
  }
}

/** Registers a relay harness in the enclosing `describe`. */
export const relayServer = (overrides: Frame = {}): RelayHarness => useHarness(new RelayHarness(), overrides);

