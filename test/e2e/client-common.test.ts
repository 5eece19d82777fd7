import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { backoffDelay, resolveBackoff } from "../../src/client/common/backoff.js";
import { InstalkClient, type StateChange } from "../../src/client/instalk.js";
import { Gate, quickReconnect, RestartableServer, uniqueName, until } from "../helpers/client-kit.js";

// What all five clients share (src/client/common), exercised through the instalk client on a real server.
describe("client common: backoff, outbox, timeouts, heart-beat", () => {
  let s: RestartableServer;
  const clients: InstalkClient[] = [];
  const client = (opts: Partial<ConstructorParameters<typeof InstalkClient>[0]> = {}) => {
    const c = new InstalkClient({ url: s.url, reconnect: quickReconnect, ...opts });
    clients.push(c);
    return c;
  };

  before(async () => {
    // A short idle timeout: only the client's heart-beat keeps a quiet socket open.
    s = await RestartableServer.start({ instalk: { idleMs: 1500 } });
  });
  after(async () => {
    for (const c of clients) c.close();
    await s.dispose();
  });

  it("backs off exponentially, within the jitter, up to the cap", () => {
    const opts = resolveBackoff({ initialDelayMs: 100, maxDelayMs: 1000, factor: 2, jitter: 0.5 });
    const bounds = [100, 200, 400, 800, 1000, 1000];
    bounds.forEach((top, attempt) => {
      assert.equal(backoffDelay(attempt, opts, () => 0), top / 2);
      assert.equal(backoffDelay(attempt, opts, () => 1), top);
    });
  });

  it("a quiet connection outlives the server's idle timeout on heart-beats alone", async () => {
    const c = client({ pingIntervalMs: 400 });
    const states: StateChange["state"][] = [];
    c.on("state", (x) => states.push(x.state));
    await c.connect();
    await new Promise((r) => setTimeout(r, 4000));
    assert.equal(c.state, "open");
    assert.deepEqual(states, ["connecting", "open"]);
  });

  it("a request made while disconnected goes out after the reconnect, once", async () => {
    const room = uniqueName("outbox");
    const gate = new Gate();
    const c = client({ url: gate.guard(() => s.url) });
    const other = client();
    await Promise.all([c.connect(), other.connect()]);
    await Promise.all([c.join(room), other.join(room)]);
    gate.close();
    c.reconnectNow();
    await until(() => c.state === "reconnecting", "the client down");
    const queued = c.send(room, "queued while away");
    gate.open();
    assert.equal((await queued).data.body, "queued while away");
    const history = await other.sync(room, 1);
    assert.deepEqual(history.messages.map((e) => e.o === "msg" && e.data.body), ["queued while away"]);
  });

  it("a request that times out while disconnected is withdrawn: never sent later", async () => {
    const room = uniqueName("withdrawn");
    const gate = new Gate();
    const c = client({ url: gate.guard(() => s.url), requestTimeoutMs: 300 });
    const other = client();
    await Promise.all([c.connect(), other.connect()]);
    await Promise.all([c.join(room), other.join(room)]);
    gate.close();
    c.reconnectNow();
    await until(() => c.state === "reconnecting", "the client down");
    const err = await c.send(room, "given up").catch((e: Error & { code?: string; info?: { sent?: boolean } }) => e);
    assert.equal((err as { code?: string }).code, "request.timeout");
    assert.equal((err as { info?: { sent?: boolean } }).info?.sent, false);
    gate.open();
    await until(() => c.state === "open", "the client back");
    await c.send(room, "marker");
    const history = await other.sync(room, 1);
    assert.deepEqual(history.messages.map((e) => e.o === "msg" && e.data.body), ["marker"]);
  });

  it("with reconnect: false a lost connection closes the client and rejects what waits", async () => {
    const c = client({ reconnect: false });
    await c.connect();
    const closed = c.next("state", { filter: (x) => x.state === "closed" });
    c.reconnectNow();
    assert.equal((await closed).error?.code, "client.closed");
    await assert.rejects(c.join(uniqueName("x")), (e: Error & { code?: string }) => e.code === "client.closed");
  });
});
