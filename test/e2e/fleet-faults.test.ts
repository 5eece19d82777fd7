// Pulling plugs on a fleet: kill -9 of one node under load, and a Redis
// restart mid-conversation. Three real nodes, throwaway PostgreSQL and Redis,
// HAProxy in front; loopback only, bounded in count and time.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { fleetSkipReason, startFleet, type Fleet, type FleetNode } from "../helpers/fleet.js";
import { initialised, newRoom, type Frame, type Peer } from "../helpers/instalk.js";
import { pgReachable, pgSkipReason } from "../helpers/pg.js";
import { PubsubClient, newTopic } from "../helpers/pubsub.js";
import { redisSkipReason } from "../helpers/redis.js";
import { TestClient } from "../helpers/ws-client.js";

const skip = fleetSkipReason() ?? redisSkipReason() ?? ((await pgReachable()) ? null : pgSkipReason("the fleet fault tests"));
if (skip) console.warn(`\n${"!".repeat(100)}\n!!! fleet fault tests SKIPPED: ${skip}\n${"!".repeat(100)}\n`);

type Where = Pick<FleetNode, "ws">;
const open: TestClient[] = [];
async function instalkPeer(at: Where): Promise<Peer> {
  const c = await TestClient.connect(at.ws("/websocket"));
  open.push(c);
  return initialised(c);
}

/**
 * Sends `count` messages one after another, each counted as acknowledged only
 * when its echo (with its nr) came back. Stops early, without failing, when
 * the socket dies: what was acknowledged until then is what must survive.
 */
async function sendAcked(p: Peer, r: string, label: string, count: number, acked = new Map<string, number>()): Promise<Map<string, number>> {
  for (let i = 0; i < count; i++) {
    const body = `${label}-${i}`;
    p.say(r, body);
    try {
      const echo = await p.waitFor((f) => f.r === r && f.o === "msg" && f.data.body === body, 15_000);
      acked.set(body, echo.data.nr as number);
    } catch {
      break;
    }
  }
  return acked;
}

/** The room's whole stored history, read with sync from nr 1 by a fresh client. */
async function history(at: Where, r: string): Promise<Frame[]> {
  const p = await instalkPeer(at);
  await p.join(r);
  const out: Frame[] = [];
  for (let from = 1; ; ) {
    const page = await p.history(r, "sync", { from });
    out.push(...page.messages);
    if (!page.more) break;
    from = (page.messages[page.messages.length - 1].data.nr as number) + 1;
  }
  return out;
}

function assertComplete(stored: Frame[], acked: Map<string, number>[]): void {
  const nrs = stored.map((m) => m.data.nr as number);
  assert.deepEqual(nrs, Array.from({ length: nrs.length }, (_, i) => i + 1), "seq gapless from 1, no duplicate");
  const byBody = new Map(stored.map((m) => [m.data.body as string, m.data.nr as number]));
  for (const one of acked) for (const [body, nr] of one) assert.equal(byBody.get(body), nr, `acknowledged ${body} (nr ${nr}) is stored with its nr`);
}

describe("fleet faults", { skip: skip ?? undefined }, () => {
  let fleet: Fleet;
  before(async () => {
    fleet = await startFleet({ settings: { "limits.messagesPerSecond": 10_000, "limits.burst": 10_000 } });
  });
  after(async () => {
    for (const c of open) c.terminate();
    await fleet?.close();
  });

  it("kill -9 of a node under load: its members leave once everywhere, nothing acknowledged is lost, survivors serve, clients recover", async () => {
    const [n1, n2, n3] = fleet.nodes;
    const r = newRoom("kill");
    const t = newTopic("kill");
    const w1 = await instalkPeer(n1);
    const w2 = await instalkPeer(n2);
    const victim = await instalkPeer(n3);
    for (const p of [w1, w2, victim]) await p.join(r);
    // A pubsub watcher on n1 and a subscriber on n3.
    const watcher = new PubsubClient(await TestClient.connect(n1.ws("/pubsub")));
    open.push(watcher.c);
    await watcher.connect("anonymous");
    await watcher.sub(`${t}/presence`);
    const sub3 = new PubsubClient(await TestClient.connect(n3.ws("/pubsub")));
    open.push(sub3.c);
    await sub3.connect("anonymous");
    await sub3.sub(t);
    await watcher.pres("join", sub3.user.id, t, 10_000);

    // Load from all three nodes; n3 dies in the middle of it.
    const victimAcked = new Map<string, number>();
    const sending = [sendAcked(w1, r, "w1", 60), sendAcked(w2, r, "w2", 60), sendAcked(victim, r, "v", 60, victimAcked)];
    const deadline = Date.now() + 15_000;
    while (victimAcked.size < 10) {
      assert.ok(Date.now() < deadline, "the victim's node never acknowledged 10 messages");
      await new Promise((res) => setTimeout(res, 5));
    }
    await fleet.kill(2);
    const acked = await Promise.all(sending);
    assert.ok(acked[0].size === 60 && acked[1].size === 60, "the survivors' senders were never interrupted");

    // Its members leave every room on the surviving nodes, once, well within 30 s.
    const left1 = await w1.waitFor((f) => f.r === r && f.o === "disconnect" && f.sid === victim.user.id, 30_000);
    assert.equal(left1.sid, victim.user.id);
    await w2.waitFor((f) => f.r === r && f.o === "disconnect" && f.sid === victim.user.id, 30_000);
    await watcher.pres("leave", sub3.user.id, t, 30_000);
    const again = await w1.drain();
    assert.equal(again.filter((f) => f.o === "disconnect" && f.sid === victim.user.id).length, 0, "the leave is announced once");

    // Nothing acknowledged is lost; seq stays gapless.
    assertComplete(await history(n1, r), acked);

    // The victim's client comes back through the balancer and syncs what it missed.
    const lastSeen = Math.max(0, ...acked[2].values());
    const back = await instalkPeer(fleet.balancer);
    await back.join(r);
    const missed = await back.history(r, "sync", { from: lastSeen + 1 });
    assert.ok(missed.messages.length >= 1, "messages sent after the victim's last ack are there to sync");
    assert.ok(missed.messages.every((m: Frame) => (m.data.nr as number) > lastSeen));

    await fleet.restart(2);
  });

  it("Redis restarted mid-conversation: nodes reconnect and catch up with no loss, no duplicate, no reordering", async () => {
    const [n1, n2] = fleet.nodes;
    const r = newRoom("redis");
    const a = await instalkPeer(n1);
    const b = await instalkPeer(n2);
    await a.join(r);
    await b.join(r);
    const bSeen: number[] = [];
    const collecting = (async () => {
      while (bSeen.length < 40) {
        const f = await b.op(r, "msg", 30_000);
        bSeen.push(f.data.nr as number);
      }
    })();
    const first = await sendAcked(a, r, "before", 20);
    await fleet.redis.restart();
    // Sent while Redis is down and coming back: stored, acknowledged by position checks, never lost.
    const second = await sendAcked(a, r, "across", 20);
    await collecting;
    assert.deepEqual(bSeen, Array.from({ length: 40 }, (_, i) => i + 1), "the other node's member saw every message once, in order");
    assertComplete(await history(n2, r), [first, second]);
    // Presence came back with Redis: a newcomer on n2 finds both members still connected.
    const newcomer = await instalkPeer(n2);
    const deadline = Date.now() + 15_000;
    for (;;) {
      const members = ((await newcomer.join(r)).members as Frame[]).map((m) => m.id);
      if (members.includes(a.user.id) && members.includes(b.user.id)) break;
      assert.ok(Date.now() < deadline, `members after the restart: ${JSON.stringify(members)}`);
      await new Promise((res) => setTimeout(res, 100));
    }
    // Every node is ready again.
    const status = (url: string) => fetch(`${url}/readyz`).then((res) => res.status, () => 0);
    for (const node of fleet.nodes) {
      const deadline = Date.now() + 20_000;
      while ((await status(node.url)) !== 200) {
        assert.ok(Date.now() < deadline, `${node.id} never became ready again`);
        await new Promise((res) => setTimeout(res, 50));
      }
    }
  });
});
