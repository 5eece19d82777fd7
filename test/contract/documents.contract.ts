// Documents over any Store: the DocumentStore port itself, and the core's
// Documents service (revisions, tombstones, paging, filters, ops, permissions,
// change events) running on it. Decisions pinned here:
// - Lists are in (created, id) order, newest first unless ascending.
// - A deleted id stays taken: get/update/delete/create on it answer "gone".
// - `!=` matches a missing field; ordering operators compare like types only.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Documents, type Doc, type DocResult, type DocumentsOptions } from "../../src/core/documents/documents.js";
import { parseFilter, type Filter } from "../../src/core/documents/filter.js";
import { Hub } from "../../src/core/hub.js";
import type { JsonObject } from "../../src/core/json.js";
import type { CoreEvent } from "../../src/core/types.js";
import { LocalBroker } from "../../src/engine/broker/local/index.js";
import type { DocumentRecord, Store } from "../../src/engine/store/types.js";
import type { ContractHandle, ContractOptions } from "./store.contract.js";
import { withHandle } from "./sqlite-temp.js";

/** Values every refused filter below is tried with: what they name is there, so only the text is at fault. */
export const FILTER_VALUES: JsonObject = { name: "x", n: 1, age: 1, obj: { a: 1 } };

/** Filters outside the language: literals, quotes, `or`, comments, `;`, unknown operators, bad parameters. */
export const REFUSED_FILTERS = [
  "name = 'x' or 1=1",
  "name = $name or 1 = 1",
  "name = $name OR age > $age",
  "name = $name; DROP TABLE documents",
  "name = $name; --",
  "name = $name -- comment",
  "name = $name /* */",
  'name = "x"',
  "name = 'x'",
  "name = x",
  "name = 1",
  "name LIKE $name",
  "name == $name",
  "name <> $name",
  "(name = $name)",
  "name IN ($name)",
  "name = $missing",
  "name = $obj",
  "json_extract(body, '$.name') = $name",
  "name = $name and",
  "and name = $name",
  "name = $name name = $name",
  "",
];

const ann = { id: "u-ann", name: "Ann" };
const bob = { id: "u-bob", name: "Bob" };

function record(id: string, created: number, over: Partial<DocumentRecord> = {}): DocumentRecord {
  return { collection: "notes", id, rev: 1, owner: "u1", body: { n: created, text: "ünï ☕" }, created, updated: created, deleted: false, ...over };
}

function ok(result: DocResult): Doc {
  if (!result.ok) assert.fail(`expected ok, got ${result.code} ${result.message ?? ""}`);
  return result.doc;
}

function code(result: DocResult): string {
  return result.ok ? "ok" : result.code;
}

function filter(text: string, values: JsonObject): Filter {
  const parsed = parseFilter(text, values);
  if (!parsed.ok) assert.fail(parsed.message);
  return parsed.filter;
}

interface Fixture {
  store: Store;
  docs: Documents;
  events: CoreEvent[];
  hub: Hub;
}

const OPTIONS: DocumentsOptions = {
  maxDocumentBytes: 2048,
  defaultAccess: { read: "any", write: "owner" },
  collections: { secrets: { read: "owner", write: "owner" }, wiki: { read: "any", write: "any" } },
};

export function documentsContract(name: string, open: () => Promise<ContractHandle>, options: ContractOptions = {}): void {
  const withStore = (fn: (h: ContractHandle) => Promise<void>) => withHandle(open, fn);
  const withDocs = (fn: (f: Fixture) => Promise<void>) =>
    withStore(async ({ store }) => {
      const broker = new LocalBroker();
      const hub = new Hub(broker, async () => []);
      await hub.start();
      let clock = 1_000;
      const docs = new Documents(store.documents, hub, OPTIONS, () => clock++);
      const events: CoreEvent[] = [];
      await fn({ store, docs, events, hub });
      await broker.close();
    });
  const listenAll = async (f: Fixture, channels: string[]) => {
    for (const c of channels) await f.hub.listen(c, (e) => f.events.push(e));
  };
  const settle = () => new Promise((r) => setImmediate(r));

  describe(`DocumentStore contract: ${name}`, { skip: options.skip ?? false }, () => {
    it("stores a document exactly and answers null for an unused id", withStore(async ({ store }) => {
      const doc = record("a", 5, { body: { nested: { list: [1, "two", null, true] }, big: 9_007_199_254_740_991 } });
      assert.equal(await store.documents.insert(doc), true);
      assert.deepEqual(await store.documents.get("notes", "a"), doc);
      assert.equal(await store.documents.get("notes", "b"), null);
      assert.equal(await store.documents.get("other", "a"), null);
    }));

    it("refuses a second insert of the same id and keeps the first", withStore(async ({ store }) => {
      await store.documents.insert(record("a", 5));
      assert.equal(await store.documents.insert(record("a", 6, { body: { x: 1 } })), false);
      assert.deepEqual((await store.documents.get("notes", "a"))?.body, record("a", 5).body);
    }));

    it("writes only while the stored rev is the expected one", withStore(async ({ store }) => {
      await store.documents.insert(record("a", 5));
      assert.equal(await store.documents.write(record("a", 5, { rev: 2, body: { v: 2 } }), 1), true);
      assert.equal(await store.documents.write(record("a", 5, { rev: 2, body: { v: 3 } }), 1), false);
      const now = await store.documents.get("notes", "a");
      assert.equal(now?.rev, 2);
      assert.deepEqual(now?.body, { v: 2 });
      const racers = await Promise.all([3, 4, 5].map((v) => store.documents.write(record("a", 5, { rev: 3, body: { v } }), 2)));
      assert.deepEqual(racers.filter(Boolean).length, 1);
    }));

    it("keeps a tombstone that lists skip and inserts cannot reuse", withStore(async ({ store }) => {
      await store.documents.insert(record("a", 5));
      await store.documents.insert(record("b", 6));
      assert.equal(await store.documents.write(record("a", 5, { rev: 2, body: {}, deleted: true }), 1), true);
      assert.equal((await store.documents.get("notes", "a"))?.deleted, true);
      assert.deepEqual((await store.documents.list("notes", { limit: 10, ascending: true })).map((d) => d.id), ["b"]);
      assert.equal(await store.documents.insert(record("a", 7)), false);
    }));

    it("lists in (created, id) order both ways and pages after a cursor without repeats", withStore(async ({ store }) => {
      // Two documents share each creation time, so the id must break the tie.
      const made: Array<{ id: string; created: number }> = [];
      for (let n = 0; n < 25; n++) {
        const doc = { id: `d${String(24 - n).padStart(2, "0")}`, created: 100 + Math.floor(n / 2) };
        made.push(doc);
        await store.documents.insert(record(doc.id, doc.created));
      }
      await store.documents.insert(record("elsewhere", 100, { collection: "other" }));
      const ascending = made.sort((a, b) => a.created - b.created || a.id.localeCompare(b.id)).map((d) => d.id);
      const walk = async (asc: boolean) => {
        const seen: string[] = [];
        let after: { created: number; id: string } | undefined;
        for (;;) {
          const page = await store.documents.list("notes", { limit: 7, ascending: asc, after });
          seen.push(...page.map((d) => d.id));
          if (page.length < 7) return seen;
          const last = page[page.length - 1];
          after = { created: last.created, id: last.id };
        }
      };
      assert.deepEqual(await walk(true), ascending);
      assert.deepEqual(await walk(false), [...ascending].reverse());
    }));

    it("lists one owner's documents when asked", withStore(async ({ store }) => {
      await store.documents.insert(record("a", 1, { owner: "x" }));
      await store.documents.insert(record("b", 2, { owner: "y" }));
      await store.documents.insert(record("c", 3, { owner: "x" }));
      const mine = await store.documents.list("notes", { limit: 10, ascending: true, owner: "x" });
      assert.deepEqual(mine.map((d) => d.id), ["a", "c"]);
    }));

    it("keeps documents across a reopen", withStore(async ({ store, reopen }) => {
      await store.documents.insert(record("a", 5));
      await store.documents.write(record("a", 5, { rev: 2, body: { kept: true } }), 1);
      const again = await reopen();
      assert.deepEqual((await again.documents.get("notes", "a"))?.body, { kept: true });
    }));
  });

  describe(`Documents service on ${name}`, { skip: options.skip ?? false }, () => {
    it("creates at rev 1 owned by the creator and reads it back", withDocs(async ({ docs }) => {
      const doc = ok(await docs.create("notes", { title: "hi" }, ann));
      assert.equal(doc.rev, 1);
      assert.equal(doc.owner, ann.id);
      assert.deepEqual(ok(await docs.get("notes", doc.id, bob)), doc);
      assert.equal(ok(await docs.create("notes", {}, ann, "chosen")).id, "chosen");
      assert.equal(code(await docs.create("notes", {}, bob, "chosen")), "stale");
      assert.equal(code(await docs.get("notes", "nope", ann)), "missing");
    }));

    it("answers stale for an old rev and lets exactly one of two racing writers win", withDocs(async ({ docs }) => {
      const doc = ok(await docs.create("notes", { n: 0 }, ann));
      const two = ok(await docs.update("notes", doc.id, 1, [{ op: "set", key: "n", value: 1 }], ann));
      assert.equal(two.rev, 2);
      assert.equal(code(await docs.update("notes", doc.id, 1, [{ op: "set", key: "n", value: 9 }], ann)), "stale");
      assert.equal(code(await docs.replace("notes", doc.id, { n: 9 }, ann, 1)), "stale");
      const race = await Promise.all([5, 6].map((v) => docs.update("notes", doc.id, 2, [{ op: "set", key: "n", value: v }], ann)));
      assert.deepEqual(race.map(code).sort(), ["ok", "stale"]);
      const replaced = ok(await docs.replace("notes", doc.id, { whole: true }, ann));
      assert.deepEqual(replaced.body, { whole: true });
      assert.equal(replaced.rev, 4);
    }));

    it("leaves a tombstone: gone for get, update, delete and create of that id", withDocs(async ({ docs }) => {
      const doc = ok(await docs.create("notes", { n: 1 }, ann, "t1"));
      assert.equal(ok(await docs.delete("notes", doc.id, ann)).rev, 2);
      assert.equal(code(await docs.get("notes", "t1", ann)), "gone");
      assert.equal(code(await docs.update("notes", "t1", 2, [{ op: "set", key: "n", value: 2 }], ann)), "gone");
      assert.equal(code(await docs.delete("notes", "t1", ann)), "gone");
      assert.equal(code(await docs.create("notes", {}, ann, "t1")), "gone");
      assert.deepEqual((await docs.list("notes", { limit: 10 }, ann)).docs, []);
    }));

    it("pages newest first by default, oldest first when ascending, next absent on the last page", withDocs(async ({ docs }) => {
      const made: string[] = [];
      for (let n = 0; n < 45; n++) made.push(ok(await docs.create("notes", { n }, ann)).id);
      const walk = async (ascending?: boolean) => {
        const seen: string[] = [];
        let after: string | undefined;
        let pages = 0;
        do {
          const page = await docs.list("notes", { limit: 20, ascending, after }, ann);
          pages++;
          seen.push(...page.docs.map((d) => d.id));
          after = page.next;
        } while (after);
        return { seen, pages };
      };
      assert.deepEqual(await walk(), { seen: [...made].reverse(), pages: 3 });
      assert.deepEqual(await walk(true), { seen: made, pages: 3 });
      assert.equal((await docs.list("notes", { limit: 45 }, ann)).next, undefined);
      await assert.rejects(docs.list("notes", { limit: 5, after: "not-a-cursor" }, ann), RangeError);
    }));

    it("filters with $values and `and`, by type", withDocs(async ({ docs }) => {
      const people: JsonObject[] = [{ name: "ann", age: 30 }, { name: "bob", age: 41 }, { name: "ann", age: 52 }, { name: "cy", age: "52" }, { name: "ann" }];
      for (const p of people) await docs.create("people", p, ann);
      const ages = async (text: string, values: JsonObject) =>
        (await docs.list("people", { limit: 50, ascending: true, filter: filter(text, values) }, ann)).docs.map((d) => d.body.age ?? null);
      assert.deepEqual(await ages("name = $name and age > $age", { name: "ann", age: 40 }), [52]);
      assert.deepEqual(await ages("age >= $a", { a: 41 }), [41, 52]);
      assert.deepEqual(await ages("age = $a", { a: "52" }), ["52"]);
      assert.deepEqual(await ages("name != $n", { n: "ann" }), [41, "52"]);
      assert.deepEqual(await ages("age != $a", { a: 30 }), [41, 52, "52", null]);
      assert.deepEqual(await ages("name < $n AND age <= $a", { n: "bz", a: 45 }), [30, 41]);
    }));

    it("applies the seven ops as one transaction: all or none", withDocs(async ({ docs }) => {
      const doc = ok(await docs.create("notes", { score: 1, tags: ["a"], picture: ["p0", "p1"], deep: {} }, ann));
      const updated = ok(await docs.update("notes", doc.id, 1, [
        { op: "set", key: "deep.er.title", value: "t" },
        { op: "addNumber", key: "score", value: 2.5 },
        { op: "push", key: "tags", value: "b" },
        { op: "addToSet", key: "tags", value: "a" },
        { op: "addToSet", key: "tags", value: "c" },
        { op: "insertAt", key: "picture[1]", value: "new" },
        { op: "pull", key: "tags", value: "b" },
        { op: "removeAt", key: "picture[0]" },
        { op: "set", key: "picture[0]", value: "first" },
      ], ann));
      assert.deepEqual(updated.body, { score: 3.5, tags: ["a", "c"], picture: ["first", "p1"], deep: { er: { title: "t" } } });
      const refused = await docs.update("notes", doc.id, 2, [
        { op: "set", key: "score", value: 100 },
        { op: "addNumber", key: "tags", value: 1 },
      ], ann);
      assert.equal(code(refused), "invalid");
      assert.match(refused.ok ? "" : (refused.message ?? ""), /ops\[1\]/);
      const after = ok(await docs.get("notes", doc.id, ann));
      assert.equal(after.rev, 2);
      assert.equal(after.body.score, 3.5);
      for (const bad of [
        { op: "removeAt", key: "picture[9]" },
        { op: "insertAt", key: "picture", value: 1 },
        { op: "set", key: "__proto__.x", value: 1 },
        { op: "set", key: "a..b", value: 1 },
        { op: "push", key: "score", value: 1 },
        { op: "set", key: "score" },
        { op: "explode", key: "score", value: 1 },
      ]) {
        assert.equal(code(await docs.update("notes", doc.id, 2, [bad as never], ann)), "invalid", JSON.stringify(bad));
      }
      assert.equal(({} as Record<string, unknown>).x, undefined);
    }));

    it("lets only the owner write by default, anyone where configured, and hides owner-read documents", withDocs(async ({ docs }) => {
      const note = ok(await docs.create("notes", { n: 1 }, ann));
      assert.equal(code(await docs.update("notes", note.id, 1, [{ op: "set", key: "n", value: 2 }], bob)), "forbidden");
      assert.equal(code(await docs.replace("notes", note.id, {}, bob)), "forbidden");
      assert.equal(code(await docs.delete("notes", note.id, bob)), "forbidden");
      assert.equal(code(await docs.get("notes", note.id, null)), "ok");
      const page = ok(await docs.create("wiki", { text: "x" }, ann));
      assert.equal(ok(await docs.update("wiki", page.id, 1, [{ op: "set", key: "text", value: "y" }], bob)).owner, ann.id);
      const secret = ok(await docs.create("secrets", { pin: 1 }, ann));
      await docs.create("secrets", { pin: 2 }, bob);
      assert.equal(code(await docs.get("secrets", secret.id, bob)), "forbidden");
      assert.equal(code(await docs.get("secrets", secret.id, null)), "forbidden");
      assert.deepEqual((await docs.list("secrets", { limit: 10 }, ann)).docs.map((d) => d.body.pin), [1]);
      assert.deepEqual((await docs.list("secrets", { limit: 10 }, null)).docs, []);
      assert.equal(docs.feed("secrets", null), null);
    }));

    it("refuses bodies over the limit and names that are not names", withDocs(async ({ docs }) => {
      assert.equal(code(await docs.create("notes", { text: "x".repeat(3000) }, ann)), "too-large");
      const doc = ok(await docs.create("notes", { text: "" }, ann));
      assert.equal(code(await docs.update("notes", doc.id, 1, [{ op: "set", key: "text", value: "y".repeat(3000) }], ann)), "too-large");
      assert.equal(code(await docs.replace("notes", doc.id, { text: "y".repeat(3000) }, ann)), "too-large");
      assert.equal(code(await docs.create("bad name", {}, ann)), "invalid");
      assert.equal(code(await docs.create("notes", {}, ann, "../etc")), "invalid");
      assert.equal(code(await docs.create("notes", [] as never, ann)), "invalid");
      assert.equal(code(await docs.get("notes", "", ann)), "invalid");
    }));

    it("announces created, updated and deleted with who did it", withDocs(async (f) => {
      const { docs } = f;
      await listenAll(f, ["docs:notes", "doc:notes/e1"]);
      await docs.create("notes", { n: 1 }, ann, "e1");
      await docs.update("notes", "e1", 1, [{ op: "addNumber", key: "n", value: 2 }], ann);
      await docs.replace("notes", "e1", { m: true }, ann);
      await docs.delete("notes", "e1", ann);
      await settle();
      assert.deepEqual(f.events.map((e) => [e.channel, e.type, e.sender.id, e.data.rev]), [
        ["docs:notes", "created", ann.id, 1],
        ["doc:notes/e1", "updated", ann.id, 2],
        ["doc:notes/e1", "updated", ann.id, 3],
        ["doc:notes/e1", "deleted", ann.id, 4],
      ]);
      assert.deepEqual(f.events[1].data.changes, { n: { op: "addNumber", opValue: 2 } });
      assert.deepEqual(f.events[2].data.changes, { n: { op: "unset", opValue: null }, m: { op: "set", opValue: true } });
    }));
  });

  describe("filter parser", () => {
    it("refuses everything outside fields, comparators, and, and $parameters", () => {
      const tooMany = Array.from({ length: 21 }, () => "n = $n").join(" and ");
      for (const text of [...REFUSED_FILTERS, "x".repeat(1001), tooMany]) {
        assert.equal(parseFilter(text, FILTER_VALUES).ok, false, text);
      }
      const values = FILTER_VALUES;
      assert.equal(parseFilter("a.b[2].c >= $n and name != $name", values).ok, true);
    });
  });
}
