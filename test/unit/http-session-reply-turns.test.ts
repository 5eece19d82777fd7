import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ReplyTurns, type Allowance } from "../../src/connection/reply-turns.js";

/** A promise the test settles by hand, to make work finish in the order it chooses. */
function gate<T>(): { promise: Promise<T>; open: (value: T) => void; fail: (err: Error) => void } {
  let open!: (value: T) => void;
  let fail!: (err: Error) => void;
  const promise = new Promise<T>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { promise, open, fail };
}

async function until(check: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Allows the first `burst` requests of each key; every decision waits for `decide` when given (a broker round trip). */
function allowance(burst: number, decide?: Promise<void>): Allowance & { asked: string[] } {
  const counts = new Map<string, number>();
  const asked: string[] = [];
  return {
    asked,
    async take(key) {
      asked.push(key);
      const n = (counts.get(key) ?? 0) + 1;
      counts.set(key, n);
      await decide;
      return n <= burst;
    },
  };
}

describe("ReplyTurns: request/reply exchanges in order, counted", () => {
  it("work runs at once for every request, but answers leave in arrival order whatever order the work finishes in", async () => {
    const turns = new ReplyTurns(allowance(100));
    const gates = [gate<string>(), gate<string>(), gate<string>()];
    const started: number[] = [];
    const answered: string[] = [];
    const done = gates.map((g, i) =>
      turns.run("s:1", {
        work: () => {
          started.push(i);
          return g.promise;
        },
        answer: (line) => void answered.push(line),
        refused: () => void answered.push("refused"),
      }),
    );
    await until(() => started.length === 3, "all three to start");
    // The last finishes first, then the first, then the middle one.
    gates[2].open("third");
    gates[0].open("first");
    await done[0];
    assert.deepEqual(answered, ["first"], "the third waits behind the second");
    gates[1].open("second");
    await Promise.all(done);
    assert.deepEqual(answered, ["first", "second", "third"]);
  });

  it("a refused request is answered in its turn, and its work never runs", async () => {
    const decide = gate<void>();
    const turns = new ReplyTurns(allowance(2, decide.promise));
    const slow = gate<string>();
    const ran: number[] = [];
    const answered: string[] = [];
    const exchange = (i: number, work: () => Promise<string>) =>
      turns.run("a:10.0.0.1", {
        work: () => {
          ran.push(i);
          return work();
        },
        answer: (line) => void answered.push(line),
        refused: () => void answered.push(`refused ${i}`),
      });
    const done = [exchange(0, () => slow.promise), exchange(1, async () => "one"), exchange(2, async () => "two"), exchange(3, async () => "three")];
    decide.open();
    // The refusals are known long before the first request's slow work ends: they still wait for its answer.
    await until(() => ran.length === 2, "the allowed work to start");
    assert.deepEqual(answered, []);
    slow.open("zero");
    await Promise.all(done);
    assert.deepEqual(answered, ["zero", "one", "refused 2", "refused 3"]);
    assert.deepEqual(ran, [0, 1]);
  });

  it("keys do not wait for each other; a request another node counted only takes its turn", async () => {
    const counting = allowance(100);
    const turns = new ReplyTurns(counting);
    const blocked = gate<string>();
    const answered: string[] = [];
    const first = turns.run("s:1", { work: () => blocked.promise, answer: (l) => void answered.push(l), refused: () => undefined });
    await turns.run("s:2", { work: async () => "other session", answer: (l) => void answered.push(l), refused: () => undefined });
    assert.deepEqual(answered, ["other session"]);
    const followed = turns.follow("s:1", { work: async () => "forwarded", answer: (l) => void answered.push(l) });
    blocked.open("own");
    await Promise.all([first, followed]);
    assert.deepEqual(answered, ["other session", "own", "forwarded"]);
    assert.deepEqual(counting.asked, ["s:1", "s:2"], "the forwarded request was not counted again");
  });

  it("work that throws rejects its own request only; the next ones are answered", async () => {
    const turns = new ReplyTurns(allowance(100));
    const answered: string[] = [];
    const failing = turns.run("k", { work: () => Promise.reject(new Error("boom")), answer: () => void answered.push("never"), refused: () => undefined });
    const next = turns.run("k", { work: async () => "next", answer: (l) => void answered.push(l), refused: () => undefined });
    await assert.rejects(failing, /boom/);
    await next;
    assert.deepEqual(answered, ["next"]);
  });

  it("requests whose key needs a lookup keep their order through it, even when a later lookup is quicker", async () => {
    const turns = new ReplyTurns(allowance(100));
    const answered: string[] = [];
    const slowLookup = gate<string>();
    const place = (key: string, line: string) => turns.run(key, { work: async () => line, answer: (l) => void answered.push(l), refused: () => undefined });
    const first = turns.routed("t:cookie", () => slowLookup.promise, (home) => place(home, "first"));
    const second = turns.routed("t:cookie", async () => "s:home", (home) => place(home, "second"));
    // A request that needed no lookup for the same session takes its turn at once.
    await place("s:home", "direct");
    assert.deepEqual(answered, ["direct"]);
    slowLookup.open("s:home");
    await Promise.all([first, second]);
    assert.deepEqual(answered, ["direct", "first", "second"]);
  });
});
