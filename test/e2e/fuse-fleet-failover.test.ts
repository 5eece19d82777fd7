import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { ANSWER_MS } from "../../src/dialects/fuse/fleet.js";
import { fleetRecord, httpLogin, loggedIn, md5, newName, Pull, push, startFuseFleet, until, type FuseFleet } from "../helpers/fuse.js";
import type { TestServer } from "../helpers/server.js";

const unauthorized = "main|fail|user not authorized";

/** A pull's status and body when it is refused at once. */
async function refusedPull(t: TestServer, name: string, cookie: string): Promise<[number, string]> {
  const res = await fetch(`${t.url}/pull?name=${name}`, { headers: { cookie: `fuse=${encodeURIComponent(cookie)}` } });
  return [res.status, await res.text()];
}

/** Two nodes; a session lives on one of them while its requests also reach the other. What happens when either goes. */
describe("fuse HTTP sessions when a node of the fleet goes", () => {
  let fleet: FuseFleet;
  const closers: Array<() => void> = [];
  const start = async (overrides: Record<string, unknown> = {}) => {
    fleet = await startFuseFleet(2, overrides);
    return fleet.nodes;
  };
  afterEach(async () => {
    for (const close of closers.splice(0)) close();
    await fleet.stop();
  });
  const pull = async (t: TestServer, name: string, cookie: string) => {
    const p = await Pull.open(t, name, { cookie });
    closers.push(() => p.close());
    assert.equal(await p.next(), "noop");
    return p;
  };

  it("the home stops: its pull on B ends, the record goes, the cookie is unknown on B; the client logs in again there", async () => {
    const [a, b] = await start();
    const name = newName();
    const key = (await push(a, name, "user||")).text.split("|")[2];
    const salt = (await push(a, name, "salt")).text.split("|")[2];
    const cookie = (await push(a, name, `open|${salt}|${md5(key + salt)}`)).cookie!;
    const p = await pull(b, name, cookie);
    await a.stop();
    await p.waitEnd();
    await until(async () => (await fleetRecord(b, cookie)) === null, "A's records to go");
    assert.equal((await push(b, name, "ping", { cookie })).text, unauthorized);
    assert.deepEqual(await refusedPull(b, name, cookie), [401, unauthorized]);
    const again = (await push(b, name, "salt")).text.split("|")[2];
    const open = await push(b, name, `open|${again}|${md5(key + again)}`, { cookie });
    assert.equal(open.text, "open|done");
    assert.equal((await push(b, name, "ping", { cookie: open.cookie })).text, "ping|done");
  });

  it("the home no longer answers (crashed): a push on B waits out the answer time, then gets the unknown-session answer and the record goes", async () => {
    const [a, b] = await start();
    const name = newName();
    const cookie = await httpLogin(a, name);
    // Deaf to the broker, A is gone as far as B can tell; its record stays (its session lasts 60 s).
    await a.server.core.broker.close();
    const started = Date.now();
    assert.equal((await push(b, name, "ping", { cookie })).text, unauthorized);
    assert.ok(Date.now() - started >= ANSWER_MS - 50, "B waited for an answer first");
    assert.equal(await fleetRecord(b, cookie), null);
    const quick = Date.now();
    assert.equal((await push(b, name, "ping", { cookie })).text, unauthorized);
    assert.ok(Date.now() - quick < ANSWER_MS, "with the record gone, B does not wait again");
  });

  it("the home no longer answers: a pull held on B ends (its keep-alives go unanswered)", async () => {
    const [a, b] = await start({ fuse: { sessionIdleMs: 1500 } });
    const name = newName();
    const cookie = await httpLogin(a, name);
    const p = await pull(b, name, cookie);
    await a.server.core.broker.close();
    await p.waitEnd(ANSWER_MS + 5000);
    assert.deepEqual(await refusedPull(b, name, cookie), [401, unauthorized]);
  });

  it("the pulling node stops: the home hears of it, and the session idles out as after a local pull", async () => {
    const [a, b] = await start({ fuse: { sessionIdleMs: 1500, noopMs: 200 } });
    const ws = await loggedIn(a, "ws");
    closers.push(() => ws.close());
    const name = newName();
    const cookie = await httpLogin(a, name);
    assert.equal(await ws.waitFor((l) => l === `here|${name}`), `here|${name}`);
    const p = await pull(b, name, cookie);
    // Sixteen noops (3.2 s, over twice the idle time): the pull on B keeps the session alive.
    for (let i = 0; i < 16; i++) assert.equal(await p.next(), "noop");
    assert.equal((await push(a, name, "ping", { cookie })).text, "ping|done");
    await b.stop();
    await p.waitEnd();
    assert.equal(await ws.waitFor((l) => l === `kill|${name}`, 5000), `kill|${name}`);
  });

  it("the pulling node crashes: the home misses its keep-alives, drops the pull, and the session idles out", async () => {
    const [a, b] = await start({ fuse: { sessionIdleMs: 1500 } });
    const ws = await loggedIn(a, "ws");
    closers.push(() => ws.close());
    const name = newName();
    const cookie = await httpLogin(a, name);
    assert.equal(await ws.waitFor((l) => l === `here|${name}`), `here|${name}`);
    await pull(b, name, cookie);
    await b.server.core.broker.close();
    // Dropped after a whole idle time unheard of, then logged out after another.
    assert.equal(await ws.waitFor((l) => l === `kill|${name}`, 10_000), `kill|${name}`);
  });
});
