// Presence cases of the Broker contract: entries per channel, "first"/"last"
// of a user decided atomically, and removal of a whole node exactly once.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { PresenceDeparture, PresenceEntry } from "../../src/engine/broker/types.js";
import { byKey, entry, ev, eventually, range, withNodes, type Case, type OpenCluster } from "./broker-kit.js";

const departureKey = (d: PresenceDeparture) => `${d.channel}|${d.entry.key}`;

export function presenceCases(open: OpenCluster): void {
  const one = (title: string, fn: Case) => it(title, withNodes(open, fn));
  const cluster = (title: string, fn: Case) => it(title, withNodes(open, fn, { minNodes: 2 }));

  describe("presence", () => {
    one("adds, lists and removes entries", async ([a], chan) => {
      const p = a.broker.presence;
      const c = chan("room");
      const node = a.broker.nodeId;
      assert.deepEqual(await p.list(c), []);
      const e1 = entry(`${node}/c1`, "u1", node, { color: "#aa0000", verified: true, tags: ["x", { y: 1 }] });
      const e2 = entry(`${node}/c2`, "u2", node);
      assert.deepEqual(await p.add(c, e1), { firstForUser: true });
      assert.deepEqual(await p.add(c, e2), { firstForUser: true });
      assert.deepEqual(byKey(await p.list(c)), [e1, e2]);
      assert.deepEqual(await p.remove(c, e1.key), { removed: true, lastForUser: true });
      assert.deepEqual(await p.list(c), [e2]);
      assert.deepEqual(await p.remove(c, e1.key), { removed: false, lastForUser: false }, "already removed");
      assert.deepEqual(await p.remove(c, "never-added"), { removed: false, lastForUser: false });
      assert.deepEqual(await p.remove(chan("unknown"), e2.key), { removed: false, lastForUser: false });
      assert.deepEqual(await p.remove(c, e2.key), { removed: true, lastForUser: true });
      assert.deepEqual(await p.list(c), []);
    });

    one("counts a user's entries: first on the first, last on the last", async ([a], chan) => {
      const p = a.broker.presence;
      const c = chan("room");
      const node = a.broker.nodeId;
      const [tab1, tab2] = [entry(`${node}/c1`, "u1", node), entry(`${node}/c2`, "u1", node)];
      assert.equal((await p.add(c, tab1)).firstForUser, true);
      assert.equal((await p.add(c, tab2)).firstForUser, false, "a second connection of the same user");
      assert.equal((await p.add(c, entry(`${node}/c3`, "u2", node))).firstForUser, true, "another user counts apart");
      assert.deepEqual(await p.remove(c, tab1.key), { removed: true, lastForUser: false });
      assert.deepEqual(await p.remove(c, tab2.key), { removed: true, lastForUser: true });
      assert.equal((await p.add(c, tab1)).firstForUser, true, "first again after the last left");
    });

    one("overwrites an entry added again with the same key", async ([a], chan) => {
      const p = a.broker.presence;
      const c = chan("room");
      const node = a.broker.nodeId;
      await p.add(c, entry(`${node}/c1`, "u1", node, { color: "#000000" }));
      const renamed: PresenceEntry = { key: `${node}/c1`, user: { id: "u1", name: "Renamed" }, node, info: { color: "#ffffff", verified: false } };
      assert.deepEqual(await p.add(c, renamed), { firstForUser: false }, "replacing the user's own entry is not a first");
      assert.deepEqual(await p.list(c), [renamed]);
      assert.deepEqual(await p.remove(c, renamed.key), { removed: true, lastForUser: true }, "the replacement counted once");
      assert.deepEqual(await p.list(c), []);
    });

    one("keeps channels independent", async ([a], chan) => {
      const p = a.broker.presence;
      const [one, two] = [chan("one"), chan("two")];
      const node = a.broker.nodeId;
      const same = `${node}/c1`;
      const inOne = entry(same, "u1", node, { where: "one" });
      const inTwo = entry(same, "u1", node, { where: "two" });
      assert.equal((await p.add(one, inOne)).firstForUser, true);
      assert.equal((await p.add(two, inTwo)).firstForUser, true, "first per channel");
      assert.deepEqual(await p.list(one), [inOne]);
      assert.deepEqual(await p.list(two), [inTwo]);
      assert.deepEqual(await p.remove(one, same), { removed: true, lastForUser: true });
      assert.deepEqual(await p.list(one), []);
      assert.deepEqual(await p.list(two), [inTwo]);
    });

    one("is not a fan-out channel: presence changes deliver no events", async ([a], chan) => {
      const [c, marker] = [chan("room"), chan("marker")];
      await a.broker.subscribe(c);
      await a.broker.subscribe(marker);
      await a.broker.presence.add(c, entry(`${a.broker.nodeId}/c1`, "u1", a.broker.nodeId));
      await a.broker.presence.remove(c, `${a.broker.nodeId}/c1`);
      await a.broker.publish(ev(marker, 1));
      await eventually("the marker", () => a.heard.length >= 1);
      assert.deepEqual(a.heard.map((e) => e.channel), [marker]);
    });

    one("removes a node's entries in every channel and reports each", async ([a], chan) => {
      const p = a.broker.presence;
      const [r1, r2] = [chan("r1"), chan("r2")];
      const gone = `${chan("gone")}-node`;
      const stays = a.broker.nodeId;
      const goneTab1 = entry(`${gone}/c1`, "u1", gone, { tab: 1 });
      const goneTab2 = entry(`${gone}/c2`, "u1", gone, { tab: 2 });
      const goneU2 = entry(`${gone}/c3`, "u2", gone);
      const staysU2 = entry(`${stays}/c4`, "u2", stays);
      for (const e of [goneTab1, goneTab2, goneU2, staysU2]) await p.add(r1, e);
      await p.add(r2, goneTab1);
      const departures = await p.removeNode(gone);
      assert.deepEqual(departures.map(departureKey).sort(), [
        `${r1}|${goneTab1.key}`, `${r1}|${goneTab2.key}`, `${r1}|${goneU2.key}`, `${r2}|${goneTab1.key}`,
      ].sort());
      const of = (channel: string, key: string) => departures.find((d) => d.channel === channel && d.entry.key === key);
      assert.deepEqual(of(r2, goneTab1.key), { channel: r2, entry: goneTab1, lastForUser: true });
      assert.equal(of(r1, goneU2.key)?.lastForUser, false, "u2 still has an entry on another node");
      // u1's two entries leave one after the other: exactly the second one is the last.
      assert.deepEqual([of(r1, goneTab1.key)?.lastForUser, of(r1, goneTab2.key)?.lastForUser].sort(), [false, true]);
      assert.deepEqual(await p.list(r1), [staysU2]);
      assert.deepEqual(await p.list(r2), []);
      assert.deepEqual(await p.removeNode(gone), [], "nothing left to report");
      assert.deepEqual(await p.removeNode(`${chan("never")}-node`), []);
      assert.equal((await p.add(r1, goneTab1)).firstForUser, true, "the counts were kept right");
    });
  });

  describe("presence across nodes", () => {
    cluster("shows presence cluster-wide", async (nodes, chan) => {
      const c = chan("room");
      const added = nodes.map((node, i) => entry(`${node.broker.nodeId}/c${i}`, `u${i}`, node.broker.nodeId, { i }));
      for (const [i, node] of nodes.entries()) await node.broker.presence.add(c, added[i]);
      for (const node of nodes) assert.deepEqual(byKey(await node.broker.presence.list(c)), byKey(added));
      const [a, b] = nodes;
      const renamed = { ...added[0], user: { id: "u0", name: "Renamed" } };
      await a.broker.presence.add(c, renamed);
      assert.deepEqual(byKey(await b.broker.presence.list(c)).find((e) => e.key === renamed.key), renamed);
      assert.deepEqual(await a.broker.presence.remove(c, added[0].key), { removed: true, lastForUser: true });
      for (const node of nodes) assert.deepEqual(byKey(await node.broker.presence.list(c)), byKey(added.slice(1)));
      assert.deepEqual(await b.broker.presence.remove(c, added[0].key), { removed: false, lastForUser: false }, "already gone cluster-wide");
    });

    cluster("decides first and last for a user exactly once when nodes race", async ([a, b], chan) => {
      // Each round both nodes add (then remove) a connection of the same user at once.
      for (const round of range(1, 25)) {
        const c = chan(`race-${round}`);
        const ea = entry(`${a.broker.nodeId}/c${round}`, "racer", a.broker.nodeId);
        const eb = entry(`${b.broker.nodeId}/c${round}`, "racer", b.broker.nodeId);
        const adds = await Promise.all([a.broker.presence.add(c, ea), b.broker.presence.add(c, eb)]);
        assert.equal(adds.filter((r) => r.firstForUser).length, 1, `round ${round}: one first`);
        const removes = await Promise.all([a.broker.presence.remove(c, ea.key), b.broker.presence.remove(c, eb.key)]);
        assert.deepEqual(removes.map((r) => r.removed), [true, true]);
        assert.equal(removes.filter((r) => r.lastForUser).length, 1, `round ${round}: one last`);
      }
    });

    cluster("reports each entry of a removed node to exactly one of two racing callers", async ([a, b], chan) => {
      const gone = `${chan("gone")}-node`;
      const channels = [chan("x"), chan("y"), chan("z")];
      const stays = entry(`${a.broker.nodeId}/keep`, "keeper", a.broker.nodeId);
      const added: Array<{ channel: string; entry: PresenceEntry }> = [];
      for (const channel of channels) {
        await a.broker.presence.add(channel, stays);
        // 40 users with five connections each: "last" must fall on exactly one of the five.
        for (const n of range(1, 200)) {
          const e = entry(`${gone}/c${n}`, `u${n % 40}`, gone, { n });
          added.push({ channel, entry: e });
        }
      }
      await Promise.all(added.map(({ channel, entry: e }, i) => (i % 2 ? a : b).broker.presence.add(channel, e)));

      const [fromA, fromB] = await Promise.all([a.broker.presence.removeNode(gone), b.broker.presence.removeNode(gone)]);
      const all = [...fromA, ...fromB];
      assert.equal(new Set(all.map(departureKey)).size, all.length, "no entry reported twice");
      assert.deepEqual(all.map(departureKey).sort(), added.map((x) => `${x.channel}|${x.entry.key}`).sort(), "every entry reported");
      for (const channel of channels) {
        const lasts = all.filter((d) => d.channel === channel && d.lastForUser).map((d) => d.entry.user.id).sort();
        assert.deepEqual(lasts, range(0, 39).map((n) => `u${n}`).sort(), `${channel}: one last per user`);
        for (const node of [a, b]) assert.deepEqual(await node.broker.presence.list(channel), [stays]);
      }
    });
  });
}
