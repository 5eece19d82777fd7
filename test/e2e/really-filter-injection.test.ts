import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { DocumentQuery } from "../../src/engine/store/types.js";
import { FILTER_VALUES, REFUSED_FILTERS } from "../contract/documents.contract.js";
import { assertRefused, reallyServer, type Frame } from "../helpers/really.js";

describe("really: query filters are parsed, never spliced into SQL", () => {
  const h = reallyServer({ limits: { messagesPerSecond: 10_000, burst: 10_000 } });

  it("refuses injection-shaped filters with 400 before the store is asked, and the data is untouched", async () => {
    const c = await h.client();
    for (const name of ["x", "y", "x'; --"]) await c.request("create", { r: "/victims/", body: { name, age: 30 } });
    // Count what reaches the store: a refused filter must not cause a single list query.
    const documents = h.t.server.core.store.documents;
    const realList = documents.list.bind(documents);
    const seen: DocumentQuery[] = [];
    documents.list = (collection: string, q: DocumentQuery) => {
      seen.push(q);
      return realList(collection, q);
    };
    try {
      for (const filter of REFUSED_FILTERS) {
        const reply = await c.request("read", { r: "/victims/", cmdOpts: { query: { filter, values: FILTER_VALUES } } });
        assertRefused(reply, 400, "query.invalid");
        assert.equal(typeof reply.error.errors["cmdOpts.query.filter"], "string", filter);
      }
      assertRefused(await c.request("read", { r: "/victims/", cmdOpts: { query: { filter: "name = $name", values: "x" } } }), 400, "request.invalid");
      assert.deepEqual(seen, [], "no refused filter reached the store");
    } finally {
      documents.list = realList;
    }
    // A quote inside a value is only ever data.
    const quoted = await c.request("read", { r: "/victims/", cmdOpts: { query: { filter: "name = $n", values: { n: "x'; --" } } } });
    assert.deepEqual(quoted.body.items.map((i: Frame) => i.body.name), ["x'; --"]);
    const all = await c.request("read", { r: "/victims/", cmdOpts: { ascending: true } });
    assert.deepEqual(all.body.items.map((i: Frame) => i.body.name), ["x", "y", "x'; --"]);
  });
});
