// Behaviour every Store implementation must show. Tests go through the port only,
// so the same cases run against SQLite, PostgreSQL or anything else.
//
// Decisions this contract pins down beyond the port's doc comments:
// - Account names and mail addresses are unique case-insensitively (at least for ASCII
//   letters), and byName/byMail look them up case-insensitively; the stored value keeps
//   the case it was written with.
// - kv: an entry is live while expiresAt is null or later than now; delete() of an
//   expired entry returns false (it no longer exists as far as callers can tell).
// - An append whose data cannot be serialised rejects and leaves the stream consistent:
//   every resolved append is readable, the stored seqs are gapless, no seq repeats.
// - Several stores on the same data (other connections, other processes, other nodes)
//   share one truth: seqs stay gapless across them, and room and kv compare-and-swaps
//   let exactly one of two racing writers win.
// - kv compareAndSet(expect null, value null) answers whether no live entry exists.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { JsonObject } from "../../src/core/json.js";
import { DuplicateError, type AccountRecord, type NewEvent, type RoomRecord, type Store } from "../../src/engine/store/types.js";
import { withHandle } from "./sqlite-temp.js";
import type { StoreLocation, StoreTestOptions } from "./store-location.js";
import { runInProcesses } from "./store-processes.js";

export interface ContractHandle {
  store: Store;
  /** Opens another, independent Store on the same backing data (does not close `store`): a second node. */
  reopen: (options?: StoreTestOptions) => Promise<Store>;
  /** Closes every Store opened through this handle and removes the backing data. */
  cleanup: () => Promise<void>;
  /** Where another process opens a store on the same data. */
  location: StoreLocation;
  /** kv rows physically held in a namespace, expired ones included: what only the sweep removes. */
  kvRowCount: (ns: string) => Promise<number>;
}

export interface ContractOptions {
  /** Skips the whole suite with this reason (a backend that cannot run here says so loudly). */
  skip?: string | false;
}

function ev(n: number, data: JsonObject = { n }): NewEvent {
  return { type: "message", time: 1_000 + n, sender: { id: "u1", name: "Ann" }, data };
}

const seqs = (events: Array<{ seq: number }>) => events.map((e) => e.seq);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it holds; fails with `what` after `timeoutMs`. */
async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
const isDuplicate = (field: string) => (e: unknown) => e instanceof DuplicateError && e.field === field;

function room(id: string, over: Partial<RoomRecord> = {}): RoomRecord {
  return {
    id, topic: "Hello ☕", closed: true, locked: false, capacity: 25, creator: "u1",
    admins: ["u1", "u2"], bans: ["u9"], meta: { theme: { dark: true, tags: ["a", "b"] } }, created: 1_700_000_000_000, rev: 0,
    ...over,
  };
}

/** `r` as the store hands it back after its `rev`-th write. */
const stored = (r: RoomRecord, rev: number): RoomRecord => ({ ...r, rev });

/** Adds `user` to a room's bans the way the core does: read, change, compare and swap, again on a lost race. */
async function ban(store: Store, id: string, user: string): Promise<RoomRecord> {
  for (;;) {
    const current = await store.rooms.get(id);
    assert.ok(current, `room ${id} exists`);
    const written = await store.rooms.write({ ...current, bans: [...current.bans, user] }, current.rev);
    if (written) return written;
  }
}

/** Adds 1 to the counter in kv (ns "c", key "n"), retrying on a lost compare and swap. */
async function increment(store: Store): Promise<void> {
  for (;;) {
    const current = await store.kv.get("c", "n");
    assert.ok(current);
    if (await store.kv.compareAndSet("c", "n", current, { n: (current.n as number) + 1 }, null)) return;
  }
}

function account(id: string, name: string, mail: string | null, over: Partial<AccountRecord> = {}): AccountRecord {
  return { id, name, mail, passwordHash: "scrypt$1$abc", color: "#aa0000", created: 1_700_000_000_000, meta: { v: 1 }, ...over };
}

export function storeContract(name: string, open: () => Promise<ContractHandle>, options: ContractOptions = {}): void {
  const withStore = (fn: (h: ContractHandle) => Promise<void>) => withHandle(open, fn);
  const fill = async (store: Store, stream: string, count: number) => {
    for (let n = 1; n <= count; n++) await store.history.append(stream, ev(n));
  };

  describe(`Store contract: ${name}`, { skip: options.skip ?? false }, () => {
    describe("history sequencing", () => {
      it("starts at 1 and counts each stream on its own", withStore(async ({ store }) => {
        const h = store.history;
        assert.equal((await h.append("a", ev(1))).seq, 1);
        assert.equal((await h.append("b", ev(2))).seq, 1);
        assert.equal((await h.append("a", ev(3))).seq, 2);
        assert.equal(await h.lastSeq("a"), 2);
        assert.equal(await h.lastSeq("b"), 1);
      }));

      it("gives 200 concurrent appends 1..200 in call order", withStore(async ({ store }) => {
        const results = await Promise.all(range(1, 200).map((n) => store.history.append("s", ev(n))));
        assert.deepEqual(seqs(results), range(1, 200));
        assert.deepEqual(results.map((e) => e.data.n), range(1, 200));
        const read = await store.history.read("s", { limit: 1000, take: "oldest" });
        assert.deepEqual(read.map((e) => [e.seq, e.data.n]), range(1, 200).map((n) => [n, n]));
      }));

      it("stores every field exactly", withStore(async ({ store }) => {
        const data: JsonObject = {
          text: "héllo 👋 日本語 \"quoted\" \\ back", empty: {}, list: [], n: -1.5, big: 9_007_199_254_740_991,
          nested: { a: [1, "two", { b: null, c: true, d: false }], "ключ": { deep: [[0]] } },
        };
        const event: NewEvent = { type: "edit", time: 1_712_345_678_901, sender: { id: "u-7", name: "Zoë 🦊" }, data };
        const stored = await store.history.append("room:x", event);
        assert.deepEqual(stored, { ...event, stream: "room:x", seq: 1 });
        assert.deepEqual(await store.history.read("room:x", { limit: 10, take: "oldest" }), [stored]);
      }));

      it("reports lastSeq 0 and firstSeq 1 for an unknown stream", withStore(async ({ store }) => {
        assert.equal(await store.history.lastSeq("nothing"), 0);
        assert.equal(await store.history.firstSeq("nothing"), 1);
      }));

      it("interleaves bump with append in call order", withStore(async ({ store }) => {
        const h = store.history;
        const [a, b, c, d] = await Promise.all([h.append("s", ev(1)), h.bump("s"), h.append("s", ev(3)), h.bump("s")]);
        assert.deepEqual([a.seq, b, c.seq, d], [1, 2, 3, 4]);
        assert.deepEqual(seqs(await h.read("s", { limit: 10, take: "oldest" })), [1, 3]);
        assert.equal(await h.lastSeq("s"), 4);
        assert.equal(await h.firstSeq("s"), 1);
        assert.equal((await h.append("s", ev(5))).seq, 5);
      }));

      it("numbers a turn's appends to several streams per stream, in call order, however many", withStore(async ({ store }) => {
        const h = store.history;
        // 3 streams × 150 events in one turn: more than one multi-row statement per stream where a store batches them.
        const calls = Array.from({ length: 450 }, (_, i) => ({ stream: `s${i % 3}`, n: i }));
        const stored = await Promise.all(calls.map(({ stream, n }) => h.append(stream, ev(n))));
        for (let k = 0; k < 3; k++) {
          const mine = stored.filter((e) => e.stream === `s${k}`);
          assert.deepEqual(seqs(mine), Array.from({ length: 150 }, (_, i) => i + 1));
          const read = await h.read(`s${k}`, { limit: 1000, take: "oldest" });
          assert.deepEqual(read, mine);
        }
      }));

      it("counts bumps on a stream that holds no events", withStore(async ({ store }) => {
        assert.equal(await store.history.bump("t"), 1);
        assert.equal(await store.history.bump("t"), 2);
        assert.equal(await store.history.lastSeq("t"), 2);
        assert.equal(await store.history.firstSeq("t"), 3);
      }));

      it("rejects unserialisable data and stays consistent", withStore(async ({ store }) => {
        const h = store.history;
        await h.append("s", ev(1));
        const bad = { type: "message", time: 1, sender: { id: "u", name: "U" }, data: { n: 10n } as unknown as JsonObject };
        const settled = await Promise.allSettled([h.append("s", ev(2)), h.append("s", bad), h.append("s", ev(3))]);
        assert.equal(settled[1].status, "rejected");
        const last = await h.lastSeq("s");
        const held = await h.read("s", { limit: 100, take: "oldest" });
        assert.deepEqual(seqs(held), range(1, last));
        for (const r of settled) {
          if (r.status === "fulfilled") assert.deepEqual(held.find((e) => e.seq === r.value.seq), r.value);
        }
        assert.equal((await h.append("s", ev(4))).seq, last + 1);
      }));
    });

    describe("history reads", () => {
      it("takes the newest or oldest of a range, always oldest first", withStore(async ({ store }) => {
        await fill(store, "s", 30);
        const read = async (q: Parameters<Store["history"]["read"]>[1]) => seqs(await store.history.read("s", q));
        assert.deepEqual(await read({ before: 23, limit: 10, take: "newest" }), range(13, 22));
        assert.deepEqual(await read({ from: 5, limit: 500, take: "oldest" }), range(5, 30));
        assert.deepEqual(await read({ from: 5, before: 8, limit: 10, take: "oldest" }), [5, 6, 7]);
        assert.deepEqual(await read({ from: 5, before: 20, limit: 3, take: "newest" }), [17, 18, 19]);
        assert.deepEqual(await read({ from: 5, before: 20, limit: 3, take: "oldest" }), [5, 6, 7]);
        assert.deepEqual(await read({ limit: 3, take: "newest" }), [28, 29, 30]);
        assert.deepEqual(await read({ limit: 3, take: "oldest" }), [1, 2, 3]);
        assert.deepEqual(await read({ before: 3, limit: 10, take: "newest" }), [1, 2]);
      }));

      it("returns an empty array when nothing matches", withStore(async ({ store }) => {
        await fill(store, "s", 5);
        assert.deepEqual(await store.history.read("s", { from: 6, limit: 10, take: "oldest" }), []);
        assert.deepEqual(await store.history.read("s", { before: 1, limit: 10, take: "newest" }), []);
        assert.deepEqual(await store.history.read("s", { limit: 0, take: "newest" }), []);
        assert.deepEqual(await store.history.read("other", { limit: 10, take: "oldest" }), []);
      }));
    });

    describe("history trim", () => {
      it("keeps the newest keepLast and never reuses a seq", withStore(async ({ store }) => {
        const h = store.history;
        await fill(store, "s", 10);
        assert.equal(await h.trim("s", { keepLast: 3 }), 7);
        assert.deepEqual(seqs(await h.read("s", { limit: 100, take: "oldest" })), [8, 9, 10]);
        assert.equal(await h.firstSeq("s"), 8);
        assert.equal(await h.lastSeq("s"), 10);
        assert.equal(await h.trim("s", { keepLast: 3 }), 0);
        assert.equal((await h.append("s", ev(11))).seq, 11);
      }));

      it("drops events older than a time", withStore(async ({ store }) => {
        await fill(store, "s", 10); // times 1001..1010
        assert.equal(await store.history.trim("s", { olderThan: 1_005 }), 4);
        assert.equal(await store.history.firstSeq("s"), 5);
        assert.equal(await store.history.trim("s", { olderThan: 1_005, keepLast: 2 }), 4);
        assert.deepEqual(seqs(await store.history.read("s", { limit: 100, take: "oldest" })), [9, 10]);
      }));

      it("empties a stream and keeps counting after it", withStore(async ({ store }) => {
        const h = store.history;
        await fill(store, "s", 4);
        await fill(store, "other", 2);
        assert.equal(await h.trim("s", { keepLast: 0 }), 4);
        assert.equal(await h.firstSeq("s"), 5);
        assert.equal(await h.lastSeq("s"), 4);
        assert.equal((await h.append("s", ev(5))).seq, 5);
        assert.equal(await h.firstSeq("s"), 5);
        assert.equal(await h.lastSeq("other"), 2);
        assert.equal(await h.trim("nothing", { keepLast: 0, olderThan: Date.now() }), 0);
        assert.equal(await h.trim("s", {}), 0);
      }));
    });

    describe("durability", () => {
      it("keeps resolved appends across close and reopen, seq continues", withStore(async ({ store, reopen }) => {
        await fill(store, "s", 5);
        await store.history.bump("s");
        await store.close();
        const again = await reopen();
        assert.deepEqual(seqs(await again.history.read("s", { limit: 100, take: "oldest" })), range(1, 5));
        assert.equal(await again.history.lastSeq("s"), 6);
        assert.equal((await again.history.append("s", ev(7))).seq, 7);
      }));

      it("has flushed data visible to a store opened without a clean close", withStore(async ({ store, reopen }) => {
        const pending = range(1, 20).map((n) => store.history.append("s", ev(n)));
        await store.rooms.write(room("r1"), 0);
        await store.flush();
        const second = await reopen();
        assert.deepEqual(seqs(await second.history.read("s", { limit: 100, take: "oldest" })), range(1, 20));
        assert.equal(await second.history.lastSeq("s"), 20);
        assert.deepEqual(await second.rooms.get("r1"), stored(room("r1"), 1));
        assert.deepEqual(seqs(await Promise.all(pending)), range(1, 20));
      }));

      it("flushes on close, and a second close does not throw", withStore(async ({ store, reopen }) => {
        const pending = store.history.append("s", ev(1));
        await store.close();
        await store.close();
        assert.equal((await pending).seq, 1);
        const again = await reopen();
        assert.equal(await again.history.lastSeq("s"), 1);
        assert.equal((await again.history.read("s", { limit: 1, take: "newest" }))[0].data.n, 1);
      }));
    });

    describe("rooms", () => {
      it("round-trips every field, overwrites and deletes", withStore(async ({ store }) => {
        assert.equal(await store.rooms.get("r1"), null);
        await store.rooms.write(room("r1"), 0);
        assert.deepEqual(await store.rooms.get("r1"), stored(room("r1"), 1));
        const changed = room("r1", { topic: "", closed: false, locked: true, capacity: null, creator: null, admins: [], bans: [], meta: {} });
        await store.rooms.write(changed, 1);
        assert.deepEqual(await store.rooms.get("r1"), stored(changed, 2));
        await store.rooms.write(room("r2"), 0);
        await store.rooms.delete("r1");
        assert.equal(await store.rooms.get("r1"), null);
        assert.deepEqual(await store.rooms.get("r2"), stored(room("r2"), 1));
        await store.rooms.delete("never-existed");
      }));

      it("lists rooms in id order, both ways, paged strictly after a cursor", withStore(async ({ store }) => {
        const ids = ["b", "a", "d", "c", "e"];
        for (const id of ids) await store.rooms.write(room(id), 0);
        const idsOf = (rooms: RoomRecord[]) => rooms.map((r) => r.id);
        assert.deepEqual(idsOf(await store.rooms.list({ limit: 10, ascending: true })), ["a", "b", "c", "d", "e"]);
        assert.deepEqual(idsOf(await store.rooms.list({ limit: 2, ascending: true })), ["a", "b"]);
        assert.deepEqual(idsOf(await store.rooms.list({ after: "b", limit: 2, ascending: true })), ["c", "d"]);
        assert.deepEqual(idsOf(await store.rooms.list({ limit: 2, ascending: false })), ["e", "d"]);
        assert.deepEqual(idsOf(await store.rooms.list({ after: "d", limit: 10, ascending: false })), ["c", "b", "a"]);
        assert.deepEqual(idsOf(await store.rooms.list({ after: "e", limit: 10, ascending: true })), []);
        assert.deepEqual((await store.rooms.list({ after: "a", limit: 1, ascending: true }))[0], stored(room("b"), 1), "whole records");
      }));
    });

    describe("accounts", () => {
      it("creates and finds by id, name and mail", withStore(async ({ store }) => {
        const ann = account("a1", "Ann", "ann@example.org");
        await store.accounts.create(ann);
        assert.deepEqual(await store.accounts.byId("a1"), ann);
        assert.deepEqual(await store.accounts.byName("Ann"), ann);
        assert.deepEqual(await store.accounts.byName("aNN"), ann);
        assert.deepEqual(await store.accounts.byMail("ann@example.org"), ann);
        assert.deepEqual(await store.accounts.byMail("ANN@Example.org"), ann);
        assert.equal(await store.accounts.byId("zz"), null);
        assert.equal(await store.accounts.byName("Bob"), null);
        assert.equal(await store.accounts.byMail("bob@example.org"), null);
      }));

      it("refuses a taken name or mail with DuplicateError", withStore(async ({ store }) => {
        await store.accounts.create(account("a1", "Ann", "ann@example.org"));
        await assert.rejects(store.accounts.create(account("a2", "ANN", "other@example.org")), isDuplicate("name"));
        await assert.rejects(store.accounts.create(account("a3", "Bob", "Ann@Example.org")), isDuplicate("mail"));
        assert.equal(await store.accounts.byId("a2"), null);
        assert.equal(await store.accounts.byId("a3"), null);
      }));

      it("allows many accounts without mail", withStore(async ({ store }) => {
        await store.accounts.create(account("a1", "Ann", null, { passwordHash: null }));
        await store.accounts.create(account("a2", "Bob", null));
        assert.equal((await store.accounts.byId("a1"))?.mail, null);
        assert.equal((await store.accounts.byId("a1"))?.passwordHash, null);
        assert.equal((await store.accounts.byId("a2"))?.name, "Bob");
      }));

      it("patches only the given fields", withStore(async ({ store }) => {
        const ann = account("a1", "Ann", "ann@example.org");
        await store.accounts.create(ann);
        await store.accounts.update("a1", { passwordHash: "scrypt$1$new", meta: { v: 2, tags: ["x"] } });
        assert.deepEqual(await store.accounts.byId("a1"), { ...ann, passwordHash: "scrypt$1$new", meta: { v: 2, tags: ["x"] } });
        await store.accounts.update("a1", { name: "Anna", mail: null, color: "#00ff00" });
        const anna = { ...ann, name: "Anna", mail: null, color: "#00ff00", passwordHash: "scrypt$1$new", meta: { v: 2, tags: ["x"] } };
        assert.deepEqual(await store.accounts.byId("a1"), anna);
        assert.deepEqual(await store.accounts.byName("anna"), anna);
        assert.equal(await store.accounts.byName("Ann"), null);
        assert.equal(await store.accounts.byMail("ann@example.org"), null);
      }));

      it("refuses an update to a taken name or mail", withStore(async ({ store }) => {
        await store.accounts.create(account("a1", "Ann", "ann@example.org"));
        await store.accounts.create(account("a2", "Bob", "bob@example.org"));
        await assert.rejects(store.accounts.update("a2", { name: "ann" }), isDuplicate("name"));
        await assert.rejects(store.accounts.update("a2", { mail: "ANN@example.org" }), isDuplicate("mail"));
        assert.deepEqual(await store.accounts.byId("a2"), account("a2", "Bob", "bob@example.org"));
      }));

      // list(): name order is the folded name's UTF-8 bytes, so "Émile" (0xC3…) comes after every ASCII name.
      const namesOf = (accounts: AccountRecord[]) => accounts.map((a) => a.name);

      it("lists accounts in folded-name order, paged strictly after a name given in any case", withStore(async ({ store }) => {
        assert.deepEqual(await store.accounts.list({ limit: 10 }), [], "no accounts yet");
        const names = ["eve", "Bob", "Émile", "ann", "Dora", "carl"];
        for (const [i, n] of names.entries()) await store.accounts.create(account(`id${i}`, n, i % 2 ? `${n.toLowerCase()}@example.org` : null));
        const order = ["ann", "Bob", "carl", "Dora", "eve", "Émile"];
        assert.deepEqual(namesOf(await store.accounts.list({ limit: 100 })), order);
        const seen: string[] = [];
        let after: string | undefined;
        for (let pages = 0; pages < 10; pages++) {
          const page = await store.accounts.list({ after, limit: 4 });
          if (page.length === 0) break;
          assert.ok(page.length <= 4);
          seen.push(...namesOf(page));
          after = page[page.length - 1].name;
        }
        assert.deepEqual(seen, order, "every account once, in order");
        assert.deepEqual(namesOf(await store.accounts.list({ after: "BOB", limit: 2 })), ["carl", "Dora"]);
        assert.deepEqual(namesOf(await store.accounts.list({ after: "c", limit: 10 })), ["carl", "Dora", "eve", "Émile"], "a cursor needs no account of its own");
        assert.deepEqual(await store.accounts.list({ after: "émile", limit: 10 }), []);
        assert.deepEqual(await store.accounts.list({ limit: 0 }), []);
        assert.deepEqual((await store.accounts.list({ after: "ann", limit: 1 }))[0], account("id1", "Bob", "bob@example.org"), "whole records");
      }));

      it("searches part of a name or mail in any case, or an exact id, and pages the matches", withStore(async ({ store }) => {
        await store.accounts.create(account("u-1", "Joanne", "jo@mail.example"));
        await store.accounts.create(account("u-2", "Annabel", null));
        await store.accounts.create(account("u-3", "Bob", "bob.MANN@Example.org"));
        await store.accounts.create(account("u-4", "Carl", "carl@example.org"));
        assert.deepEqual(namesOf(await store.accounts.list({ search: "ANN", limit: 10 })), ["Annabel", "Bob", "Joanne"]);
        assert.deepEqual(namesOf(await store.accounts.list({ search: "ann", after: "Bob", limit: 10 })), ["Joanne"]);
        assert.deepEqual(namesOf(await store.accounts.list({ search: "ann", limit: 1 })), ["Annabel"]);
        assert.deepEqual(namesOf(await store.accounts.list({ search: "@EXAMPLE.org", limit: 10 })), ["Bob", "Carl"], "by mail");
        assert.deepEqual(namesOf(await store.accounts.list({ search: "mail.example", limit: 10 })), ["Joanne"]);
        assert.deepEqual(namesOf(await store.accounts.list({ search: "u-4", limit: 10 })), ["Carl"], "an exact id");
        assert.deepEqual(await store.accounts.list({ search: "u-", limit: 10 }), [], "ids only match whole");
        assert.deepEqual(await store.accounts.list({ search: "U-4", limit: 10 }), [], "ids keep their case");
        assert.deepEqual(await store.accounts.list({ search: "nobody", limit: 10 }), []);
        assert.deepEqual(namesOf(await store.accounts.list({ search: "", limit: 10 })), ["Annabel", "Bob", "Carl", "Joanne"], "an empty search is none");
      }));

      it("matches %, _ and \\ in a search literally", withStore(async ({ store }) => {
        const names = ["a_b", "axb", "100%", "1000", "back\\slash", "backslash", "c%d"];
        for (const [i, n] of names.entries()) await store.accounts.create(account(`w${i}`, n, null));
        const found = async (search: string) => namesOf(await store.accounts.list({ search, limit: 10 }));
        assert.deepEqual(await found("a_b"), ["a_b"]);
        assert.deepEqual(await found("_"), ["a_b"]);
        assert.deepEqual(await found("0%"), ["100%"]);
        assert.deepEqual(await found("%"), ["100%", "c%d"]);
        assert.deepEqual(await found("\\"), ["back\\slash"]);
        assert.deepEqual(await found("k\\s"), ["back\\slash"]);
        assert.deepEqual(await found("%%"), []);
      }));
    });

    describe("kv", () => {
      it("puts, gets, overwrites and deletes", withStore(async ({ store }) => {
        const kv = store.kv;
        assert.equal(await kv.get("ns", "k"), null);
        await kv.put("ns", "k", { a: 1, s: "ü" }, null);
        assert.deepEqual(await kv.get("ns", "k"), { a: 1, s: "ü" });
        await kv.put("ns", "k", { a: 2 }, Date.now() + 60_000);
        assert.deepEqual(await kv.get("ns", "k"), { a: 2 });
        assert.equal(await kv.delete("ns", "k"), true);
        assert.equal(await kv.delete("ns", "k"), false);
        assert.equal(await kv.get("ns", "k"), null);
      }));

      it("keeps namespaces apart", withStore(async ({ store }) => {
        await store.kv.put("a", "k", { from: "a" }, null);
        await store.kv.put("b", "k", { from: "b" }, null);
        assert.deepEqual(await store.kv.get("a", "k"), { from: "a" });
        assert.equal(await store.kv.delete("a", "k"), true);
        assert.deepEqual(await store.kv.get("b", "k"), { from: "b" });
        assert.deepEqual(await store.kv.list("b", ""), [{ key: "k", value: { from: "b" } }]);
      }));

      it("hides entries once expired", withStore(async ({ store }) => {
        const kv = store.kv;
        await kv.put("ns", "past", { x: 1 }, Date.now() - 1);
        await kv.put("ns", "soon", { x: 2 }, Date.now() + 50);
        await kv.put("ns", "forever", { x: 3 }, null);
        assert.equal(await kv.get("ns", "past"), null);
        assert.deepEqual(await kv.get("ns", "soon"), { x: 2 });
        await sleep(80);
        assert.equal(await kv.get("ns", "soon"), null);
        assert.deepEqual((await kv.list("ns", "")).map((e) => e.key), ["forever"]);
        assert.equal(await kv.delete("ns", "past"), false);
        assert.deepEqual(await kv.get("ns", "forever"), { x: 3 });
      }));

      it("lists live entries by literal prefix, % and _ included", withStore(async ({ store }) => {
        const kv = store.kv;
        for (const key of ["a%b", "a_b", "axb", "a%c", "b%", "A%b", "a%"]) await kv.put("ns", key, { key }, null);
        await kv.put("ns", "a%dead", { key: "dead" }, Date.now() - 1);
        await kv.put("other", "a%b", { key: "other" }, null);
        const keys = async (prefix: string) => (await kv.list("ns", prefix)).map((e) => e.key).sort();
        assert.deepEqual(await keys("a%"), ["a%", "a%b", "a%c"]);
        assert.deepEqual(await keys("a_"), ["a_b"]);
        assert.deepEqual(await keys("a%b"), ["a%b"]);
        assert.deepEqual(await keys("zz"), []);
        assert.deepEqual(await keys(""), ["A%b", "a%", "a%b", "a%c", "a_b", "axb", "b%"].sort());
        assert.deepEqual((await kv.list("ns", "a%b"))[0], { key: "a%b", value: { key: "a%b" } });
      }));
    });

    describe("rooms compare and swap", () => {
      it("writes only at the expected revision and hands back the stored record", withStore(async ({ store }) => {
        const rooms = store.rooms;
        assert.deepEqual(await rooms.write(room("r"), 0), stored(room("r"), 1));
        assert.equal(await rooms.write(room("r", { topic: "late" }), 0), null, "0: only while absent");
        assert.equal(await rooms.write(room("r", { topic: "late" }), 2), null, "a revision never stored");
        // The record's own rev is ignored: only expectRev counts.
        assert.deepEqual(await rooms.write(room("r", { topic: "two", rev: 99 }), 1), stored(room("r", { topic: "two" }), 2));
        assert.equal(await rooms.write(room("r", { topic: "stale" }), 1), null);
        assert.deepEqual(await rooms.get("r"), stored(room("r", { topic: "two" }), 2));
        await rooms.delete("r");
        assert.equal(await rooms.write(room("r", { topic: "gone" }), 2), null, "a deleted record is not brought back");
        assert.equal(await rooms.get("r"), null);
        assert.equal((await rooms.write(room("r"), 0))?.rev, 1);
      }));

      it("lets exactly one of two stores win a race; the loser re-reads and both changes stay", withStore(async ({ store, reopen }) => {
        const peer = await reopen();
        await store.rooms.write(room("r", { bans: [] }), 0);
        const [a, b] = await Promise.all([store.rooms.get("r"), peer.rooms.get("r")]);
        assert.ok(a && b);
        const written = await Promise.all([
          store.rooms.write({ ...a, bans: ["x"] }, a.rev),
          peer.rooms.write({ ...b, bans: ["y"] }, b.rev),
        ]);
        assert.equal(written.filter((w) => w !== null).length, 1, "exactly one winner");
        const [loser, user] = written[0] ? [peer, "y"] : [store, "x"];
        const again = await ban(loser, "r", user);
        assert.equal(again.rev, 3);
        assert.deepEqual([...again.bans].sort(), ["x", "y"]);
        assert.deepEqual(await store.rooms.get("r"), await peer.rooms.get("r"));
      }));

      it("keeps every ban when many writers on two stores race", withStore(async ({ store, reopen }) => {
        const peer = await reopen();
        await store.rooms.write(room("r", { bans: [] }), 0);
        const users = range(1, 12).map((n) => `u${n}`);
        await Promise.all(users.map((u, i) => ban(i % 2 === 0 ? store : peer, "r", u)));
        const final = await peer.rooms.get("r");
        assert.deepEqual([...(final?.bans ?? [])].sort(), [...users].sort());
        assert.equal(final?.rev, 1 + users.length);
      }));
    });

    describe("kv compare and swap", () => {
      it("putIfAbsent: exactly one of many concurrent callers on two stores stores it", withStore(async ({ store, reopen }) => {
        const peer = await reopen();
        const results = await Promise.all(
          range(1, 20).map((n) => (n % 2 === 0 ? store : peer).kv.putIfAbsent("ns", "k", { n }, null)),
        );
        assert.equal(results.filter(Boolean).length, 1);
        const winner = results.indexOf(true) + 1;
        assert.deepEqual(await store.kv.get("ns", "k"), { n: winner });
        assert.equal(await store.kv.putIfAbsent("ns", "k", { n: 0 }, null), false);
      }));

      it("putIfAbsent: an expired entry counts as absent", withStore(async ({ store }) => {
        const kv = store.kv;
        await kv.put("ns", "k", { old: true }, Date.now() - 1);
        assert.equal(await kv.putIfAbsent("ns", "k", { fresh: true }, Date.now() + 60_000), true);
        assert.deepEqual(await kv.get("ns", "k"), { fresh: true });
        assert.equal(await kv.putIfAbsent("ns", "k", { third: true }, null), false);
        assert.deepEqual(await kv.get("ns", "k"), { fresh: true });
      }));

      it("compareAndSet: changes only the current value, deletes with null, fails on a stale one", withStore(async ({ store }) => {
        const kv = store.kv;
        assert.equal(await kv.compareAndSet("ns", "k", { v: 1 }, { v: 2 }, null), false, "nothing to compare with");
        assert.equal(await kv.compareAndSet("ns", "k", null, null, null), true, "absent, as expected");
        assert.equal(await kv.compareAndSet("ns", "k", null, { v: 1 }, null), true, "null: only while absent");
        assert.equal(await kv.compareAndSet("ns", "k", null, { v: 9 }, null), false);
        assert.equal(await kv.compareAndSet("ns", "k", null, null, null), false, "present, not as expected");
        const v1 = await kv.get("ns", "k");
        assert.deepEqual(v1, { v: 1 });
        assert.equal(await kv.compareAndSet("ns", "k", v1, { v: 2 }, Date.now() + 60_000), true);
        assert.equal(await kv.compareAndSet("ns", "k", v1, { v: 3 }, null), false, "stale");
        assert.deepEqual(await kv.get("ns", "k"), { v: 2 });
        assert.equal(await kv.compareAndSet("ns", "k", { v: 2 }, null, null), true, "deletes");
        assert.equal(await kv.get("ns", "k"), null);
        assert.equal(await kv.compareAndSet("other", "k", null, { v: 1 }, null), true, "namespaces apart");
      }));

      it("compareAndSet: an expired entry is absent, never equal", withStore(async ({ store }) => {
        const kv = store.kv;
        await kv.put("ns", "k", { v: 1 }, Date.now() - 1);
        assert.equal(await kv.compareAndSet("ns", "k", { v: 1 }, { v: 2 }, null), false);
        assert.equal(await kv.compareAndSet("ns", "k", { v: 1 }, null, null), false);
        assert.equal(await kv.compareAndSet("ns", "k", null, { v: 3 }, null), true);
        assert.deepEqual(await kv.get("ns", "k"), { v: 3 });
      }));

      it("compareAndSet: what get returned always matches, key order and all", withStore(async ({ store }) => {
        // JavaScript lists index-like keys first, so this reads back in another order than written.
        const value = JSON.parse('{"b":1,"10":[1,{"z":0,"a":1}],"1":"x","é":null}') as JsonObject;
        await store.kv.put("ns", "k", value, null);
        const got = await store.kv.get("ns", "k");
        assert.ok(got);
        assert.equal(await store.kv.compareAndSet("ns", "k", got, { v: 2 }, null), true);
        assert.equal(await store.kv.putIfAbsent("ns", "j", value, null), true);
        assert.equal(await store.kv.compareAndSet("ns", "j", value, null, null), true, "the value as first given matches too");
      }));

      it("loses no increment when two stores race compare-and-swap loops", withStore(async ({ store, reopen }) => {
        const peer = await reopen();
        await store.kv.put("c", "n", { n: 0 }, null);
        const loop = async (s: Store, times: number) => {
          for (let i = 0; i < times; i++) await increment(s);
        };
        await Promise.all([loop(store, 25), loop(peer, 25), loop(store, 25), loop(peer, 25)]);
        assert.deepEqual(await peer.kv.get("c", "n"), { n: 100 });
      }));
    });

    describe("kv sweep", () => {
      it("removes expired entries by itself, without anyone reading them", withStore(async ({ store, reopen, kvRowCount }) => {
        await store.kv.put("sweep", "gone", { x: 1 }, Date.now() - 1);
        await store.kv.put("sweep", "also-gone", { x: 2 }, Date.now() - 1_000);
        await store.kv.put("sweep", "forever", { x: 3 }, null);
        await store.kv.put("sweep", "later", { x: 4 }, Date.now() + 600_000);
        assert.equal(await kvRowCount("sweep"), 4, "nothing removes them on write");
        // A second store with a short sweep interval stands in for waiting out the default 30 s.
        await reopen({ sweepMs: 25 });
        await waitFor("the sweep", async () => (await kvRowCount("sweep")) === 2);
        assert.deepEqual((await store.kv.list("sweep", "")).map((e) => e.key), ["forever", "later"]);
      }));
    });

    describe("several stores, several processes", () => {
      it("keeps seqs gapless when two processes append 5,000 events each to one stream", withStore(async ({ store, location }) => {
        const count = 5_000;
        const reports = await runInProcesses(location, "append", count, ["p1", "p2"]);
        for (const r of reports) assert.equal(r.increasing, true, `${r.tag}: seqs follow its own append order`);
        assert.equal(await store.history.lastSeq("shared"), 2 * count);
        const events = await store.history.read("shared", { limit: 3 * count, take: "oldest" });
        assert.deepEqual(seqs(events), range(1, 2 * count), "1..10000, no gap, no repeat");
        const seen = new Set(events.map((e) => `${String(e.data.tag)}/${String(e.data.n)}`));
        assert.equal(seen.size, 2 * count, "every event stored once");
        for (const tag of ["p1", "p2"]) for (const n of [0, count - 1]) assert.ok(seen.has(`${tag}/${n}`));
      }));

      it("keeps every ban when two processes race compare-and-swap on one room", withStore(async ({ store, location }) => {
        await store.rooms.write(room("shared", { bans: [] }), 0);
        await runInProcesses(location, "ban", 20, ["p1", "p2"]);
        const final = await store.rooms.get("shared");
        const expected = ["p1", "p2"].flatMap((tag) => range(0, 19).map((n) => `${tag}-${n}`));
        assert.deepEqual([...(final?.bans ?? [])].sort(), expected.sort());
        assert.equal(final?.rev, 41);
      }));

      it("loses no kv increment when two processes race compare-and-swap", withStore(async ({ store, location }) => {
        await store.kv.put("c", "n", { n: 0 }, null);
        await runInProcesses(location, "increment", 50, ["p1", "p2"]);
        assert.deepEqual(await store.kv.get("c", "n"), { n: 100 });
      }));

      it("reports healthy while open and not after close", withStore(async ({ store }) => {
        assert.equal(store.healthy(), true);
        await store.close();
        assert.equal(store.healthy(), false);
      }));
    });
  });
}
