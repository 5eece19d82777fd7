import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { apis } from "../../src/api/registry.js";
import type { DescribedRoute } from "../../src/api/operations.js";
import type { HttpRoute } from "../../src/transport/routes.js";
import type { TestServer } from "../helpers/server.js";
import type { TestClient } from "../helpers/ws-client.js";
import { assertComponent, assertDocumented, assertError, auth, enc, EventStream, instalk, join, newRoom, ok, send, startAdminServer, type Json } from "./admin-client.js";
import { resolveRef } from "./admin-schema-check.js";

/**
 * /api/openapi.json against the server: every route it serves is in the
 * document and every documented one is served; each answers only statuses the
 * document lists, with bodies matching the documented schemas.
 */

let t: TestServer;
let doc: Json;
const sockets: TestClient[] = [];
const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"];

before(async () => {
  t = await startAdminServer();
  const reply = await send(t, "GET", "/api/openapi.json");
  assert.equal(reply.status, 200);
  doc = reply.body;
});
after(async () => {
  for (const c of sockets) c.terminate();
  await t.stop();
});

/** Every (method, template) the document lists. */
function documented(): Array<{ method: string; path: string; op: Json }> {
  return Object.entries(doc.paths as Json).flatMap(([path, ops]) => Object.entries(ops as Json).map(([method, op]) => ({ method: method.toUpperCase(), path, op: op as Json })));
}

/** The routes the server is made of: the same factories `startServer` calls, with this server's core and configuration. */
function serverRoutes(): HttpRoute[] {
  return apis.flatMap((make) => make({ core: t.server.core, config: t.server.config, log: t.server.log }));
}

const fill = (template: string) => template.replace(/\{[^}]+\}/g, "sample");

let names = 0;
const newName = () => `doc-${process.pid % 10_000}-${++names}`;
const PASSWORD = "correct horse battery";

interface Sample {
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
  status: number;
}

/** A user with a token and a room the user is in, for the samples that need them. */
async function fixture(): Promise<{ account: Json; token: string; room: string; member: Json }> {
  const name = newName();
  const account = (await send(t, "POST", "/api/users", { name, password: PASSWORD })).body;
  const token = (await send(t, "POST", "/auth/login", { name, password: PASSWORD })).body.accessToken as string;
  const room = newRoom("doc");
  const s = await instalk(t);
  sockets.push(s.c);
  await join(s.c, room);
  return { account, token, room, member: s.user };
}

/** One valid request per operation, by operationId: a documented operation without one fails the test. */
const samples: Record<string, () => Promise<Sample>> = {
  anonymousToken: async () => ({ path: "/auth/anonymous", status: 200 }),
  login: async () => {
    const { account } = await fixture();
    return { path: "/auth/login", body: { name: account.name, password: PASSWORD }, status: 200 };
  },
  logout: async () => ({ path: "/auth/logout", headers: { authorization: `Bearer ${(await fixture()).token}` }, status: 204 }),
  revokeToken: async () => ({ path: "/auth/revoke", body: { accessToken: (await fixture()).token }, status: 204 }),
  register: async () => ({ path: "/api/users", body: { name: newName(), password: PASSWORD }, status: 201 }),
  me: async () => ({ path: "/api/users/me", headers: { authorization: `Bearer ${(await fixture()).token}` }, status: 200 }),
  createSessionKey: async () => ({ path: "/api/sessions", body: { anonymous: true }, status: 201 }),
  deleteSessionKey: async () => ({ path: `/api/sessions/${enc((await send(t, "POST", "/api/sessions", { anonymous: true })).body.key)}`, status: 204 }),
  clusterNodes: async () => ({ path: "/api/cluster", status: 200 }),
  getConfig: async () => ({ path: "/api/config", status: 200 }),
  patchConfig: async () => ({ path: "/api/config", body: { limits: { burst: 100 } }, status: 200 }),
  stats: async () => ({ path: "/api/admin/stats", status: 200 }),
  listRooms: async () => ({ path: `/api/admin/rooms?q=${(await fixture()).room}&limit=5`, status: 200 }),
  getRoom: async () => ({ path: `/api/admin/rooms/${(await fixture()).room}`, status: 200 }),
  roomPresence: async () => ({ path: `/api/admin/rooms/${(await fixture()).room}/presence`, status: 200 }),
  roomHistory: async () => {
    const { room } = await fixture();
    await ok(t, "POST", `/api/admin/rooms/${room}/messages`, { body: "kept" }, 201);
    return { path: `/api/admin/rooms/${room}/history?limit=10`, status: 200 };
  },
  postRoomMessage: async () => ({ path: `/api/admin/rooms/${(await fixture()).room}/messages`, body: { body: "hello", mentions: [], attachments: [{ kind: "note" }] }, status: 201 }),
  kickFromRoom: async () => {
    const { room, member } = await fixture();
    return { path: `/api/admin/rooms/${room}/kick`, body: { user: member.id, message: "out" }, status: 200 };
  },
  unbanFromRoom: async () => {
    const { room, member } = await fixture();
    await ok(t, "POST", `/api/admin/rooms/${room}/kick`, { user: member.id, ban: true });
    return { path: `/api/admin/rooms/${room}/bans/${enc(member.id)}`, status: 204 };
  },
  publishToTopic: async () => ({ path: `/api/admin/topics/${enc(`doc.${process.pid}`)}/messages`, body: { data: { n: 1, list: [true, null, "x"] } }, status: 201 }),
  searchAccounts: async () => ({ path: `/api/admin/accounts?q=${enc((await fixture()).account.name)}`, status: 200 }),
  createAccount: async () => ({ path: "/api/admin/accounts", body: { name: newName(), password: PASSWORD, mail: null }, status: 201 }),
  getAccount: async () => ({ path: `/api/admin/accounts/${(await fixture()).account.id}`, status: 200 }),
  createAccountToken: async () => ({ path: `/api/admin/accounts/${(await fixture()).account.id}/tokens`, body: { ttlSeconds: 30 }, status: 201 }),
  disconnectUser: async () => ({ path: `/api/admin/users/${(await fixture()).account.id}/disconnect`, body: {}, status: 202 }),
  revokeUser: async () => ({ path: `/api/admin/users/${(await fixture()).account.id}/revoke`, status: 200 }),
  createStreamTicket: async () => ({ path: "/api/admin/stream-tickets", status: 201 }),
  adminStream: async () => ({ path: "(stream)", status: 200 }),
  openApi: async () => ({ path: "/api/openapi.json", status: 200 }),
};

describe("the OpenAPI document", () => {
  it("is OpenAPI 3.1 with unique operation ids, declared path parameters, named schemas and resolvable references", () => {
    assert.equal(doc.openapi, "3.1.0");
    assert.equal(typeof doc.info.version, "string");
    const ops = documented();
    const ids = ops.map((o) => o.op.operationId as string);
    assert.equal(new Set(ids).size, ids.length, "operation ids are unique");
    for (const { method, path, op } of ops) {
      const declared = ((op.parameters ?? []) as Json[]).filter((p) => p.in === "path").map((p) => p.name).sort();
      const inTemplate = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
      assert.deepEqual(declared, inTemplate, `${method} ${path}: path parameters`);
      assert.ok(Array.isArray(op.security), `${method} ${path}: security is stated`);
      if (op.security.some((s: Json) => "adminKey" in s)) assert.ok(op.responses["401"], `${method} ${path}: documents its 401`);
    }
    for (const name of Object.keys(doc.components.schemas)) assert.doesNotMatch(name, /^Schema\d+$/, `every component has a name of its own: ${name}`);
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) return node.forEach(walk);
      if (typeof node !== "object" || node === null) return;
      for (const [key, value] of Object.entries(node)) {
        if (key === "$ref") resolveRef(doc, value as string);
        else walk(value);
      }
    };
    walk(doc);
  });

  it("lists exactly the operations the server's routes are made of, and no route under /api or /auth goes undescribed", () => {
    const routes = serverRoutes();
    const served = new Set<string>();
    for (const route of routes) {
      assert.ok(Array.isArray((route as DescribedRoute).operations), "every API route is built from described operations (or says it has none)");
      for (const op of (route as DescribedRoute).operations) {
        served.add(`${op.method} ${op.path}`);
        assert.ok(route.match(fill(op.path)), `the route of ${op.method} ${op.path} matches its own path`);
      }
    }
    const inDoc = new Set(documented().map((o) => `${o.method} ${o.path}`));
    assert.deepEqual([...served].sort(), [...inDoc].sort());
    // The routes with no operations (the web apps, the API's 404) claim no documented path.
    for (const route of routes.filter((r) => (r as DescribedRoute).operations.length === 0)) {
      for (const { path } of documented()) {
        const owner = routes.find((r) => r.match(fill(path)));
        assert.notEqual(owner, route, `${path} is served by a route without operations`);
      }
    }
  });

  it("every documented operation, called as documented, answers a documented status with a body matching its schema", async () => {
    const missing = documented().filter((o) => !samples[o.op.operationId as string]);
    assert.deepEqual(missing.map((o) => o.op.operationId), [], "add a sample request for these operations");
    for (const { method, path, op } of documented()) {
      const sample = await samples[op.operationId as string]();
      if (op.operationId === "adminStream") {
        const opened = await EventStream.open(t, { view: "overview" });
        assert.equal(opened.status, 200);
        const first = await opened.stream!.next((e) => e.event === "stats", "the first event");
        assertComponent(doc, "StreamEvent", first);
        opened.stream!.close();
        continue;
      }
      const secured = (op.security as Json[]).some((s) => "adminKey" in s);
      const reply = await send(t, method, sample.path, sample.body, { ...(secured ? auth() : {}), ...sample.headers });
      assert.equal(reply.status, sample.status, `${method} ${sample.path}: ${JSON.stringify(reply.body)}`);
      assertDocumented(doc, method, path, reply);
    }
  });

  it("a method a path does not document answers 405 naming the ones it does, in the error shape", async () => {
    for (const [path, ops] of Object.entries(doc.paths as Json)) {
      const allowed = Object.keys(ops as Json).map((m) => m.toUpperCase());
      for (const method of METHODS.filter((m) => !allowed.includes(m))) {
        const reply = await send(t, method, fill(path), undefined, auth());
        assertError(reply, 405, "method.not-allowed");
        assert.deepEqual(reply.headers.get("allow")?.split(", ").sort(), allowed.sort(), `${method} ${path}`);
      }
    }
  });

  it("paths the document does not list answer 404 route.unknown under /api", async () => {
    for (const path of ["/api", "/api/", "/api/admin", "/api/admin/rooms/x/y/z", "/api/adminx", "/api/users/me/more", "/api/openapi.yaml"]) {
      assertError(await send(t, "GET", path, undefined, auth()), 404, "route.unknown");
    }
  });

  it("refuses bad input with a documented 400 or 413: malformed JSON, wrong types, unknown fields, bad queries, bad encoding, huge bodies", async () => {
    const { room } = await fixture();
    const cases: Array<[string, string, unknown, number, string, string]> = [
      ["POST", `/api/admin/rooms/${room}/messages`, "{not json", 400, "json.malformed", "/api/admin/rooms/{room}/messages"],
      ["POST", `/api/admin/rooms/${room}/messages`, { body: 5 }, 400, "request.bad", "/api/admin/rooms/{room}/messages"],
      ["POST", `/api/admin/rooms/${room}/messages`, { body: "x", extra: true }, 400, "request.bad", "/api/admin/rooms/{room}/messages"],
      ["POST", `/api/admin/rooms/${room}/messages`, { body: "x".repeat(70_000) }, 413, "body.too-large", "/api/admin/rooms/{room}/messages"],
      ["POST", `/api/admin/rooms/${room}/kick`, { user: "" }, 400, "request.bad", "/api/admin/rooms/{room}/kick"],
      ["POST", "/api/admin/accounts", [], 400, "request.bad", "/api/admin/accounts"],
      ["POST", "/api/admin/accounts/x/tokens", { ttlSeconds: 0 }, 400, "request.bad", "/api/admin/accounts/{account}/tokens"],
      ["GET", "/api/admin/rooms?limit=abc", undefined, 400, "request.bad", "/api/admin/rooms"],
      ["GET", "/api/admin/rooms?limit=1000", undefined, 400, "request.bad", "/api/admin/rooms"],
      ["GET", "/api/admin/rooms/%E0%A4%A/presence", undefined, 400, "request.bad", "/api/admin/rooms/{room}/presence"],
      ["GET", `/api/admin/rooms/${"r".repeat(300)}`, undefined, 400, "request.bad", "/api/admin/rooms/{room}"],
      ["PATCH", "/api/config", { port: 1 }, 400, "config.fixed", "/api/config"],
      ["PATCH", "/api/config", { limits: { burst: -1 } }, 400, "request.bad", "/api/config"],
      ["POST", "/api/users", "{", 400, "json.malformed", "/api/users"],
    ];
    for (const [method, path, body, status, error, template] of cases) {
      const reply = await send(t, method, path, body, auth());
      assertError(reply, status, error);
      assertDocumented(doc, method, template, reply);
    }
  });
});
