import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { assertRefused, reallyServer, type Frame, type ReallyClient } from "../helpers/really.js";

const overrides = {
  limits: { messagesPerSecond: 10_000, burst: 10_000 },
  really: { maxDocumentBytes: 1024, collections: { diary: { read: "owner", write: "owner" }, wiki: { read: "any", write: "any" } } },
};

/** `meta.opBy` of a change by `c` (an anonymous client): the original protocol's object. */
const opBy = (c: ReallyClient) => ({ authType: "anonymous", uid: String(c.user._r).slice("/users/".length), data: {} });

async function create(c: ReallyClient, r: string, body: Frame): Promise<Frame> {
  const reply = await c.request("create", { r, body });
  assert.equal(reply.error, undefined, JSON.stringify(reply));
  return reply;
}

describe("really: documents", () => {
  const h = reallyServer(overrides);

  it("creates at rev 1 and gets the snapshot, cut to fields when asked", async () => {
    const c = await h.client();
    const made = await create(c, "/notes/", { title: "hello", tags: ["a"], _r: "/fake/1", _rev: 99 });
    assert.match(made.r, /^\/notes\/[A-Za-z0-9]+$/);
    assert.equal(made.rev, 1);
    assert.deepEqual(made.body, { title: "hello", tags: ["a"], _r: made.r, _rev: 1 });
    const got = await c.request("get", { r: made.r });
    assert.deepEqual(got, { tag: got.tag, r: made.r, rev: 1, body: made.body });
    const cut = await c.request("get", { r: made.r, cmdOpts: { fields: ["title", "nope"] } });
    assert.deepEqual(cut.body, { _r: made.r, _rev: 1, title: "hello" });
    assertRefused(await c.request("get", { r: "/notes/never-made" }), 404, "object.missing");
  });

  it("updates with the seven ops in one transaction and refuses a stale or missing rev", async () => {
    const c = await h.client();
    const { r } = await create(c, "/notes/", { score: 1, tags: ["x"], picture: ["p0", "p1"], list: [1, 2, 2, 3] });
    const ops = [
      { op: "set", key: "profile.city", value: "Oslo" },
      { op: "addNumber", key: "score", value: 4 },
      { op: "push", key: "tags", value: "y" },
      { op: "addToSet", key: "tags", value: "x" },
      { op: "insertAt", key: "picture[1]", value: "mid" },
      { op: "pull", key: "list", value: 2 },
      { op: "removeAt", key: "picture[0]" },
    ];
    const reply = await c.request("update", { r, rev: 1, body: { ops } });
    assert.deepEqual(reply, { tag: reply.tag, r, rev: 2 });
    const got = await c.request("get", { r });
    assert.deepEqual(got.body, { score: 5, tags: ["x", "y"], picture: ["mid", "p1"], list: [1, 3], profile: { city: "Oslo" }, _r: r, _rev: 2 });
    assertRefused(await c.request("update", { r, rev: 1, body: { ops: [{ op: "set", key: "score", value: 0 }] } }), 409, "object.revision.outdated");
    assertRefused(await c.request("update", { r, body: { ops: [{ op: "set", key: "score", value: 0 }] } }), 400, "request.invalid");
    // One bad op and nothing applies.
    const bad = await c.request("update", { r, rev: 2, body: { ops: [{ op: "set", key: "score", value: 0 }, { op: "addNumber", key: "tags", value: 1 }] } });
    assertRefused(bad, 400, "request.invalid");
    assertRefused(await c.request("update", { r, rev: 2, body: { ops: [{ op: "rename", key: "score" }] } }), 400, "request.invalid");
    assert.equal((await c.request("get", { r })).body.score, 5);
  });

  it("deletes, then answers 410 object.gone", async () => {
    const c = await h.client();
    const { r } = await create(c, "/notes/", { n: 1 });
    const reply = await c.request("delete", { r });
    assert.deepEqual(reply, { tag: reply.tag, r });
    assertRefused(await c.request("get", { r }), 410, "object.gone");
    assertRefused(await c.request("update", { r, rev: 2, body: { ops: [{ op: "set", key: "n", value: 2 }] } }), 410, "object.gone");
    assertRefused(await c.request("delete", { r }), 410, "object.gone");
  });

  it("reads 20 newest by default, at most 200, pages with tokens both ways", async () => {
    const c = await h.client();
    const user = { id: "seed-user", name: "Seed" };
    const made: string[] = [];
    for (let n = 0; n < 210; n++) {
      const result = await h.t.server.core.documents.create("pages", { n }, user);
      assert.ok(result.ok);
      made.push(`/pages/${result.doc.id}`);
    }
    const first = await c.request("read", { r: "/pages/" });
    assert.equal(first.r, "/pages/");
    assert.equal(first.body.items.length, 20);
    assert.deepEqual(first.body.items.map((i: Frame) => i.body._r), made.slice(-20).reverse());
    assert.equal(first.body.items[0].meta.owner, "/users/seed-user");
    assert.equal(first.body.tokens.prevToken, undefined);
    const big = await c.request("read", { r: "/pages/*", cmdOpts: { limit: 500, ascending: true } });
    assert.equal(big.body.items.length, 200);
    assert.deepEqual(big.body.items.map((i: Frame) => i.body.n), Array.from({ length: 200 }, (_, i) => i));
    const pages: Frame[] = [];
    let token: string | undefined;
    do {
      const reply = await c.request("read", { r: "/pages/", cmdOpts: { limit: 90, ascending: true, paginationToken: token } });
      pages.push(reply.body);
      token = reply.body.tokens.nextToken;
    } while (token);
    const ns = (body: Frame) => body.items.map((i: Frame) => i.body.n as number);
    assert.deepEqual(pages.flatMap(ns), Array.from({ length: 210 }, (_, i) => i));
    assert.equal(pages.length, 3);
    // From the last page, prevToken walks back to the page before it, shown in the same order.
    const back = await c.request("read", { r: "/pages/", cmdOpts: { limit: 90, paginationToken: pages[2].tokens.prevToken } });
    assert.deepEqual(ns(back.body), Array.from({ length: 90 }, (_, i) => i + 90));
    assert.ok(back.body.tokens.prevToken && back.body.tokens.nextToken);
    const start = await c.request("read", { r: "/pages/", cmdOpts: { limit: 90, paginationToken: back.body.tokens.prevToken } });
    assert.deepEqual(ns(start.body), Array.from({ length: 90 }, (_, i) => i));
    assert.equal(start.body.tokens.prevToken, undefined);
    assertRefused(await c.request("read", { r: "/pages/", cmdOpts: { paginationToken: "garbage" } }), 400, "paginationToken.invalid");
    assertRefused(await c.request("read", { r: "/pages/", cmdOpts: { limit: 0 } }), 400, "request.invalid");
  });

  it("filters a read with a query and $values", async () => {
    const c = await h.client();
    for (const p of [{ name: "ann", age: 30 }, { name: "bob", age: 41 }, { name: "ann", age: 52 }, { name: "ann", age: 18 }]) await create(c, "/people/", p);
    const reply = await c.request("read", {
      r: "/people/",
      cmdOpts: { ascending: true, query: { filter: "name = $name and age > $age", values: { name: "ann", age: 20 } } },
    });
    assert.deepEqual(reply.body.items.map((i: Frame) => i.body.age), [30, 52]);
    const refused = await c.request("read", { r: "/people/", cmdOpts: { query: { filter: "name = $nobody", values: {} } } });
    assertRefused(refused, 400, "query.invalid");
  });

  it("pushes created to a read with subscribe:true, until unsubscribed", async () => {
    const reader = await h.client();
    const writer = await h.client();
    const read = await reader.request("read", { r: "/feed/", cmdOpts: { subscribe: true } });
    assert.deepEqual(read.body.items, []);
    const made = await create(writer, "/feed/", { text: "first" });
    const push = await reader.push("created");
    assert.deepEqual(push, { evt: "created", r: "/feed/*/", rev: 1, body: made.body, meta: { opBy: opBy(writer) } });
    assert.equal(push.body._r, made.r);
    const un = await reader.request("unsubscribe", { body: { subscriptions: ["/feed/"] } });
    assert.deepEqual(un.body, { unsubscriptions: ["/feed/"] });
    await create(writer, "/feed/", { text: "second" });
    assert.equal(await reader.silentFor(150), true);
  });

  it("a filtered read with subscribe:true is pushed only the new documents its query matches", async () => {
    const reader = await h.client();
    const writer = await h.client();
    const col = `/tasks${Date.now() % 100000}/`;
    await reader.request("read", { r: col, cmdOpts: { subscribe: true, query: { filter: "kind = $k", values: { k: "keep" } } } });
    await create(writer, col, { kind: "other" });
    const kept = await create(writer, col, { kind: "keep" });
    const push = await reader.push("created");
    assert.equal(push.body._r, kept.r, "the non-matching document was not pushed");
    assert.equal(await reader.silentFor(100), true);
  });

  it("pushes updated and deleted to subscribers, with opBy, until unsubscribed", async () => {
    const owner = await h.client();
    const watcher = await h.client();
    const { r } = await create(owner, "/wiki/", { text: "v1", n: 1 });
    const sub = await watcher.request("subscribe", { body: { subscriptions: [{ r }, { r: "/wiki/missing" }, { r: "/rooms/lobby" }] } });
    assert.deepEqual(sub.body.subscriptions, [r]);
    assert.deepEqual(Object.keys(sub.body.refused).sort(), ["/rooms/lobby", "/wiki/missing"]);
    await owner.request("update", { r, rev: 1, body: { ops: [{ op: "set", key: "text", value: "v2" }, { op: "addNumber", key: "n", value: 2 }] } });
    const ownerBy = opBy(owner);
    assert.deepEqual(await watcher.push("updated"), {
      evt: "updated", r, rev: 2,
      body: { text: { op: "set", opValue: "v2" }, n: { op: "addNumber", opValue: 2 } },
      meta: { opBy: ownerBy },
    });
    // "any" may write in wiki: the watcher's own change is pushed with the watcher as opBy.
    await watcher.request("update", { r, rev: 2, body: { ops: [{ op: "push", key: "log", value: "w" }] } });
    assert.deepEqual((await watcher.push("updated")).meta.opBy, opBy(watcher));
    await owner.request("delete", { r });
    assert.deepEqual(await watcher.push("deleted"), { evt: "deleted", r, rev: 4, meta: { opBy: ownerBy } });

    const { r: r2 } = await create(owner, "/wiki/", { text: "x" });
    await watcher.request("subscribe", { body: { subscriptions: [{ r: r2 }] } });
    const un = await watcher.request("unsubscribe", { body: { subscriptions: [r2, "/wiki/never"] } });
    assert.deepEqual(un.body, { unsubscriptions: [r2] });
    await owner.request("update", { r: r2, rev: 1, body: { ops: [{ op: "set", key: "text", value: "y" }] } });
    assert.equal(await watcher.silentFor(150), true);
  });

  it("lets only the owner write by default and hides owner-read collections", async () => {
    const ann = await h.client();
    const bob = await h.client();
    const { r } = await create(ann, "/notes/", { n: 1 });
    assertRefused(await bob.request("update", { r, rev: 1, body: { ops: [{ op: "set", key: "n", value: 2 }] } }), 403, "object.forbidden");
    assertRefused(await bob.request("delete", { r }), 403, "object.forbidden");
    assert.equal((await bob.request("get", { r })).body.n, 1);
    const secret = await create(ann, "/diary/", { text: "dear diary" });
    await create(bob, "/diary/", { text: "bob's" });
    assertRefused(await bob.request("get", { r: secret.r }), 403, "object.forbidden");
    const annRead = await ann.request("read", { r: "/diary/" });
    assert.deepEqual(annRead.body.items.map((i: Frame) => i.body.text), ["dear diary"]);
    const sub = await bob.request("subscribe", { body: { subscriptions: [{ r: secret.r }] } });
    assert.deepEqual(sub.body.subscriptions, []);
  });

  it("refuses a body over maxDocumentBytes with 413", async () => {
    const c = await h.client();
    assertRefused(await c.request("create", { r: "/notes/", body: { text: "x".repeat(1100) } }), 413, "object.too-large");
    const { r } = await create(c, "/notes/", { text: "" });
    assertRefused(await c.request("update", { r, rev: 1, body: { ops: [{ op: "set", key: "text", value: "y".repeat(1100) }] } }), 413, "object.too-large");
  });

  it("refuses a malformed r with 400 r.invalid, and an r naming nothing with 404", async () => {
    const c = await h.client();
    for (const r of ["notes/x", "", "/", "//", "/notes//x", "/no tes/x", "/1notes/x", "/notes/x?y=1", "/notes/*", "/notes/a/b/c/d/e/f/g/h/i", `/notes/${"x".repeat(65)}`, 42]) {
      const reply = await c.request("get", { r });
      assert.equal(reply.error?.code, 400, `${JSON.stringify(r)}: ${JSON.stringify(reply)}`);
      if (typeof r === "string") assert.equal(reply.error.message, "r.invalid", r);
    }
    assertRefused(await c.request("get", {}), 400, "r.invalid");
    assertRefused(await c.request("get", { r: "/notes/" }), 400, "r.invalid");
    assertRefused(await c.request("read", { r: "/notes/x" }), 400, "r.invalid");
    assertRefused(await c.request("update", { r: "/notes/", rev: 1, body: { ops: [] } }), 400, "r.invalid");
    assertRefused(await c.request("get", { r: "/rooms/lobby/other/x" }), 404, "object.missing");
    assertRefused(await c.request("get", { r: "/users/x/posts/y" }), 404, "object.missing");
    const nested = await create(c, "/posts/p1/comments/", { text: "nested" });
    assert.match(nested.r, /^\/posts\/p1\/comments\/[A-Za-z0-9]+$/);
    assert.equal((await c.request("get", { r: nested.r })).body.text, "nested");
  });
});

describe("really: user profiles", () => {
  const h = reallyServer(overrides);

  it("serves /users/<id>, lets only its user update it, never its name", async () => {
    const ann = await h.account("ann");
    const bob = await h.account("bob");
    const annC = await h.client(ann.token);
    const bobC = await h.client(bob.token);
    const r = `/users/${ann.id}`;
    const own = await annC.request("get", { r });
    assert.deepEqual(own.body, { name: ann.name, authType: "password", _r: r, _rev: 1 });
    // Bob sees Ann's profile (made from her account), and is told of her changes.
    assert.equal((await bobC.request("get", { r })).body.name, ann.name);
    assert.deepEqual((await bobC.request("subscribe", { body: { subscriptions: [{ r }] } })).body.subscriptions, [r]);
    const updated = await annC.request("update", { r, rev: 1, body: { ops: [{ op: "set", key: "bio", value: "hi" }] } });
    assert.equal(updated.rev, 2);
    assert.deepEqual((await bobC.push("updated")).body, { bio: { op: "set", opValue: "hi" } });
    assertRefused(await bobC.request("update", { r, rev: 2, body: { ops: [{ op: "set", key: "bio", value: "pwned" }] } }), 403, "object.forbidden");
    assertRefused(await annC.request("update", { r, rev: 2, body: { ops: [{ op: "set", key: "name", value: "Eve" }] } }), 403, "object.forbidden");
    assertRefused(await annC.request("delete", { r }), 403, "object.forbidden");
    assertRefused(await annC.request("create", { r: "/users/", body: { name: "x" } }), 403, "object.forbidden");
    assertRefused(await annC.request("get", { r: "/users/nobody-at-all" }), 404, "object.missing");
    const anon = await h.client();
    assert.equal((await anon.request("get", { r: anon.user._r })).body.authType, "anonymous");
  });
});
