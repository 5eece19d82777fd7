import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { Mailbox, type MailboxHooks, type Reader } from "../../src/transport/mailbox.js";
import { TimerWheel } from "../../src/transport/timer-wheel.js";

async function until(check: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const turn = () => new Promise((r) => setImmediate(r));

/** A clock the test moves, shared by the wheel and the mailbox: long idle periods pass at once. */
class Clock {
  t = Date.now();
  readonly now = () => this.t;
  readonly wheel = new TimerWheel(10, this.now);
}

const clocks: Clock[] = [];
afterEach(() => {
  for (const c of clocks.splice(0)) c.wheel.stop();
});

class TestReader implements Reader {
  open = true;
  taken: string[][] = [];
  ended = false;
  refuse = false;

  constructor(readonly mode: "stream" | "poll") {}

  take(frames: string[]): boolean {
    if (this.refuse) return false;
    this.taken.push([...frames]);
    return true;
  }

  end(): void {
    this.ended = true;
  }
}

const IDLE = 60_000;
const READER = 25_000;

function mailbox(maxBytes = 1 << 20, keep: (r: TestReader) => boolean = () => true) {
  const clock = new Clock();
  clocks.push(clock);
  const seen = { overflows: 0, idles: 0, dues: 0 };
  const hooks: MailboxHooks<TestReader> = {
    overflow: () => void seen.overflows++,
    idle: () => void seen.idles++,
    due: (r) => {
      seen.dues++;
      return keep(r);
    },
  };
  const box = new Mailbox<TestReader>(clock.wheel, { idleMs: () => IDLE, readerMs: () => READER, maxBytes: () => maxBytes }, hooks, clock.now);
  return { box, clock, seen };
}

describe("Mailbox: frames held for a reader that comes and goes", () => {
  it("frames wait while no reader is attached; a stream reader gets them when it attaches, then each as it is written", () => {
    const { box } = mailbox();
    box.write("a");
    box.write("b");
    assert.equal(box.backlog, 2);
    const stream = new TestReader("stream");
    box.attach(stream);
    box.write("c");
    assert.deepEqual(stream.taken, [["a", "b"], ["c"]]);
    assert.equal(box.backlog, 0);
  });

  it("a newer reader replaces the older, which ends; frames go to the newer one only", () => {
    const { box } = mailbox();
    const first = new TestReader("stream");
    const second = new TestReader("stream");
    box.attach(first);
    box.attach(second);
    box.write("x");
    assert.equal(first.ended, true);
    assert.deepEqual(first.taken, []);
    assert.deepEqual(second.taken, [["x"]]);
  });

  it("a poll reader takes everything the turn wrote in one batch, then leaves; frames it could not take wait in front", async () => {
    const { box } = mailbox();
    const lost = new TestReader("poll");
    lost.refuse = true;
    box.attach(lost);
    box.write("kept");
    await turn();
    assert.equal(box.reader, null, "a reader that could not take them is gone");
    box.write("after");
    const poll = new TestReader("poll");
    box.attach(poll);
    assert.deepEqual(poll.taken, [["kept", "after"]]);
    assert.equal(box.reader, null, "a poll leaves once answered");
    const next = new TestReader("poll");
    box.attach(next);
    box.write("1");
    box.write("2");
    assert.deepEqual(next.taken, [], "not before the end of the turn");
    await turn();
    assert.deepEqual(next.taken, [["1", "2"]]);
  });

  it("more than maxBytes waiting unread is an overflow; frames a stream takes at once do not count", () => {
    const { box, seen } = mailbox(10);
    const stream = new TestReader("stream");
    box.attach(stream);
    box.write("x".repeat(50));
    assert.equal(seen.overflows, 0);
    box.detach(stream);
    box.write("y".repeat(6));
    assert.equal(seen.overflows, 0);
    box.write("z".repeat(6));
    assert.equal(seen.overflows, 1);
  });

  it("with no reader and no touch for idleMs the client is idle: on the timer wheel", async () => {
    const { box, clock, seen } = mailbox();
    clock.t += IDLE - 1000;
    box.touch();
    assert.equal(box.deadline, clock.t + IDLE, "a touch starts the idle period again");
    clock.t += IDLE + 100;
    await until(() => seen.idles === 1, "the idle hook");
    assert.equal(seen.dues, 0);
  });

  it("an attached reader is looked at every readerMs and keeps the client; one let go starts the idle clock", async () => {
    let keep = true;
    const { box, clock, seen } = mailbox(1 << 20, () => keep);
    const stream = new TestReader("stream");
    box.attach(stream);
    assert.equal(box.deadline, clock.t + READER);
    clock.t += READER + 100;
    await until(() => seen.dues === 1, "the first look");
    assert.equal(box.reader, stream);
    keep = false;
    clock.t += READER + 100;
    await until(() => seen.dues === 2, "the second look");
    assert.equal(box.reader, null);
    assert.equal(box.deadline, clock.t + IDLE);
    assert.equal(seen.idles, 0);
    clock.t += IDLE + 100;
    await until(() => seen.idles === 1, "the idle hook");
  });

  it("a reader that is not open counts as absent: frames wait and the idle clock runs", async () => {
    const { box, clock, seen } = mailbox();
    const stream = new TestReader("stream");
    box.attach(stream);
    stream.open = false;
    box.write("held");
    assert.deepEqual(stream.taken, []);
    assert.equal(box.backlog, 4);
    clock.t += READER + 100;
    await until(() => seen.idles === 1, "the idle hook");
    assert.equal(seen.dues, 0);
  });

  it("closing gives a stream what waits, ends it, and stops the clock", async () => {
    const { box, clock, seen } = mailbox();
    const stream = new TestReader("stream");
    stream.open = false;
    box.attach(stream);
    box.write("last");
    stream.open = true;
    box.close();
    assert.deepEqual(stream.taken, [["last"]]);
    assert.equal(stream.ended, true);
    box.write("too late");
    assert.equal(box.backlog, 0);
    assert.equal(clock.wheel.pending, 0, "nothing left on the wheel");
    assert.equal(seen.idles, 0);
  });
});
