import assert from "node:assert/strict";
import type { ServerParts } from "../../src/server.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { TestClient } from "../helpers/ws-client.js";
import { resolveRef, violations } from "./admin-schema-check.js";

/** Helpers the admin-* tests share: the admin API over plain fetch, its event stream, and its OpenAPI document. */

export type Json = { [key: string]: any };

export const ADMIN_KEY = "admin-test-key-0123456789abcdef";
export const auth = (key = ADMIN_KEY) => ({ authorization: `Bearer ${key}` });

export interface Reply {
  status: number;
  headers: Headers;
  body: Json;
}

/** A server with a known admin key. */
export function startAdminServer(overrides: Json = {}, dataDir?: string, parts?: ServerParts): Promise<TestServer> {
  return startTestServer({ auth: { adminKey: ADMIN_KEY }, ...overrides }, dataDir, parts);
}

/** One request; `body` is sent as JSON unless it is already a string. No key unless `headers` has one. */
export async function send(t: TestServer, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const res = await fetch(`${t.url}${path}`, {
    method,
    headers: body === undefined ? headers : { "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: Json = {};
  if (text !== "") {
    try {
      parsed = JSON.parse(text) as Json;
    } catch {
      parsed = { text };
    }
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

/** One request with the admin key. */
export const admin = (t: TestServer, method: string, path: string, body?: unknown) => send(t, method, path, body, auth());

/** The admin request must answer `status`; its body is returned. */
export async function ok(t: TestServer, method: string, path: string, body?: unknown, status = 200): Promise<Json> {
  const reply = await admin(t, method, path, body);
  assert.equal(reply.status, status, `${method} ${path}: ${JSON.stringify(reply.body)}`);
  return reply.body;
}

/** The uniform API error shape `{code, error, reason}` with this status and machine code. */
export function assertError(reply: Reply, status: number, error?: string): void {
  assert.equal(reply.status, status, JSON.stringify(reply.body));
  assert.deepEqual(Object.keys(reply.body).sort(), ["code", "error", "reason"], JSON.stringify(reply.body));
  assert.equal(reply.body.code, status);
  if (error !== undefined) assert.equal(reply.body.error, error);
  assert.equal(typeof reply.body.reason, "string");
}

export const enc = encodeURIComponent;

let rooms = 0;
/** A room id no other test uses. */
export const newRoom = (prefix = "adm") => `${prefix}-${process.pid}-${++rooms}`;

/** Polls `check` until it holds; fails after `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** An instalk socket past init; `user` is the welcome's user. */
export async function instalk(t: TestServer, query = ""): Promise<{ c: TestClient; user: Json }> {
  const c = await TestClient.connect(t.ws(`/websocket${query}`));
  c.send({ v: "0.1" });
  const welcome = await c.next(10_000);
  assert.equal(welcome.welcome, 1, JSON.stringify(welcome));
  return { c, user: welcome.user as Json };
}

/** The next frame matching (skipping others), parsed for reading. */
export function frame(c: TestClient, match: (f: Json) => boolean, timeoutMs = 10_000): Promise<Json> {
  return c.waitFor((f) => match(f as Json), timeoutMs) as Promise<Json>;
}

/** Joins `room` on an instalk socket and reads the welcome. */
export async function join(c: TestClient, room: string): Promise<Json> {
  c.send({ r: room, o: "join" });
  return frame(c, (f) => f.r === room && f.o === "room-welcome");
}

export interface SseEvent {
  event: string;
  data: Json;
}

/**
 * An open /api/admin/stream, parsed: every event is queued, and `next` takes
 * the first one matching (dropping the ones before it) within a deadline.
 */
export class EventStream {
  readonly events: SseEvent[] = [];
  private waiters: Array<() => void> = [];
  ended = false;

  private constructor(private readonly controller: AbortController) {}

  static async open(t: TestServer, query: Record<string, string>, ticket?: string): Promise<{ status: number; stream: EventStream | null; body: Json }> {
    const issued = ticket ?? (await ok(t, "POST", "/api/admin/stream-tickets", undefined, 201)).ticket;
    const controller = new AbortController();
    const res = await fetch(`${t.url}/api/admin/stream?${new URLSearchParams({ ...query, ticket: issued })}`, { signal: controller.signal });
    if (res.status !== 200) return { status: res.status, stream: null, body: (await res.json()) as Json };
    assert.match(res.headers.get("content-type") ?? "", /^text\/event-stream/);
    const stream = new EventStream(controller);
    void stream.pump(res.body!);
    return { status: 200, stream, body: {} };
  }

  private async pump(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = "message";
          let data = "";
          for (const line of block.split("\n")) {
            if (line.startsWith("event: ")) event = line.slice(7);
            else if (line.startsWith("data: ")) data += line.slice(6);
          }
          if (data !== "") this.events.push({ event, data: JSON.parse(data) as Json });
          this.wake();
        }
      }
    } catch {
      // aborted
    }
    this.ended = true;
    this.wake();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  async next(match: (e: SseEvent) => boolean, what: string, timeoutMs = 10_000): Promise<SseEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.events.findIndex(match);
      if (i >= 0) return this.events.splice(0, i + 1)[i];
      if (this.ended) assert.fail(`stream ended while waiting for ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) assert.fail(`timed out waiting for ${what} (seen: ${this.events.map((e) => e.event).join(", ")})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.controller.abort();
  }
}

type Doc = Json;

/** The document's operation for `method path` (a template path, `/api/admin/rooms/{room}`). */
export function operation(doc: Doc, method: string, template: string): Json {
  const found = doc.paths?.[template]?.[method.toLowerCase()];
  assert.ok(found, `${method} ${template} is not in the OpenAPI document`);
  return found as Json;
}

/** Asserts the answer's status is one the document lists for the operation, and its body matches that response's schema. */
export function assertDocumented(doc: Doc, method: string, template: string, reply: { status: number; body: unknown }): void {
  const op = operation(doc, method, template);
  const response = op.responses[String(reply.status)] as Json | undefined;
  assert.ok(response, `${method} ${template} answered ${reply.status}, which the document does not list (${Object.keys(op.responses).join(", ")}): ${JSON.stringify(reply.body)}`);
  const schema = response.content?.["application/json"]?.schema;
  if (!schema) {
    assert.deepEqual(reply.body, {}, `${method} ${template} ${reply.status} is documented without a body`);
    return;
  }
  const problems = violations(doc, schema, reply.body);
  assert.deepEqual(problems, [], `${method} ${template} ${reply.status} does not match the document: ${JSON.stringify(reply.body).slice(0, 400)}`);
}

/** Asserts a value matches a named component schema of the document. */
export function assertComponent(doc: Doc, name: string, value: unknown): void {
  const problems = violations(doc, resolveRef(doc, `#/components/schemas/${name}`), value);
  assert.deepEqual(problems, [], `${name}: ${JSON.stringify(value).slice(0, 400)}`);
}
