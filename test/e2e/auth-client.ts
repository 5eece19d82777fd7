import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestServer } from "../helpers/server.js";
import { TestClient } from "../helpers/ws-client.js";

/** Helpers the auth-* tests share: plain fetch against the real HTTP API. */

export type Json = { [key: string]: any };

export interface Reply {
  status: number;
  body: Json;
}

let names = 0;
/** An account name no other test in this process uses. */
export const newName = (base = "user") => `${base}-${process.pid % 10_000}-${++names}`;

export const PASSWORD = "correct horse battery";

/** One request; the body is sent as JSON unless it is already a string. */
export async function call(t: TestServer, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const res = await fetch(`${t.url}${path}`, {
    method,
    headers: { "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text === "" ? {} : (JSON.parse(text) as Json) };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Asserts the uniform API error shape `{code, error, reason}` with this status and machine code. */
export function assertError(reply: Reply, status: number, error: string): void {
  assert.equal(reply.status, status, JSON.stringify(reply.body));
  assert.deepEqual(Object.keys(reply.body).sort(), ["code", "error", "reason"], JSON.stringify(reply.body));
  assert.equal(reply.body.code, status);
  assert.equal(reply.body.error, error);
  assert.equal(typeof reply.body.reason, "string");
}

/** Registers `name` over HTTP; returns the public account. */
export async function register(t: TestServer, name: string, password = PASSWORD, mail?: string): Promise<Json> {
  const reply = await call(t, "POST", "/api/users", { name, password, mail });
  assert.equal(reply.status, 201, JSON.stringify(reply.body));
  return reply.body;
}

/** Logs in over HTTP; returns the access token. */
export async function login(t: TestServer, name: string, password = PASSWORD): Promise<string> {
  const reply = await call(t, "POST", "/auth/login/", { name, password });
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  assert.equal(reply.body.authType, "password");
  return reply.body.accessToken as string;
}

/** A registered account and a fresh token for it. */
export async function account(t: TestServer, base = "user"): Promise<{ id: string; name: string; token: string }> {
  const name = newName(base);
  const made = await register(t, name);
  return { id: made.id as string, name, token: await login(t, name) };
}

/** `GET /api/users/me` with this token. */
export const me = (t: TestServer, token: string) => call(t, "GET", "/api/users/me", undefined, bearer(token));

/** An instalk socket past init; `user` is the welcome's user. */
export async function instalk(t: TestServer, query = "", headers: Record<string, string> = {}): Promise<{ c: TestClient; user: Json }> {
  const c = await TestClient.connect(t.ws(`/websocket${query}`), headers);
  c.send({ v: "0.1" });
  const welcome = await c.next();
  assert.equal(welcome.welcome, 1, JSON.stringify(welcome));
  return { c, user: welcome.user as Json };
}

/** Sends an instalk identify and returns the `identified` reply. */
export async function identify(c: TestClient, frame: Json): Promise<Json> {
  c.send(frame);
  return c.waitFor((f) => "identified" in f);
}

const madeDirs: string[] = [];

/** A temp data folder for servers restarted on it; `removeDataDirs` (in an `after`) deletes them all. */
export async function dataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "sb-auth-"));
  madeDirs.push(dir);
  return dir;
}

export async function removeDataDirs(): Promise<void> {
  for (const dir of madeDirs.splice(0)) await rm(dir, { recursive: true, force: true });
}
