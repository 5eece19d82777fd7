import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { pubsubServer, newTopic, unthrottled } from "../helpers/pubsub.js";
import { assertRefused, reallyServer } from "../helpers/really.js";

/** JSON a thousand levels deep would overflow the recursive validators: each dialect refuses it as a bad request. */
const deep = (levels: number): unknown => {
  let v: unknown = "bottom";
  for (let i = 0; i < levels; i++) v = { v };
  return v;
};

describe("really: absurdly nested JSON", () => {
  const h = reallyServer();
  it("is 400 request.invalid with its tag, no error log, and the socket keeps working", async () => {
    const c = await h.client();
    assertRefused(await c.request("create", { r: "/notes/", body: { n: deep(3000) } }), 400, "request.invalid");
    assert.equal(h.t.logs.filter((l) => l.level === 50).length, 0);
    const ok = await c.request("create", { r: "/notes/", body: { n: deep(10) } });
    assert.equal(ok.error, undefined, JSON.stringify(ok));
  });
});

describe("pubsub: absurdly nested JSON", () => {
  const h = pubsubServer(unthrottled);
  it("is 400 with the request's op and id, no error log, and nothing is published", async () => {
    const t = newTopic();
    const a = await h.guest(t);
    const reply = await a.request("pub", { topics: [t], data: deep(3000) });
    assert.equal(reply.type, "error");
    assert.equal(reply.code, 400);
    assert.equal(reply.op, "pub");
    assert.equal(h.t.logs.filter((l) => l.level === 50).length, 0);
    assert.ok(await a.quiet(100), "no mesg");
    await a.pub([t], deep(10));
    assert.ok(await a.mesg());
  });
});
