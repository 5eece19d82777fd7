import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fusePerTest, type FuseClient } from "../helpers/fuse.js";

describe("fuse lobby and rooms (WebSocket)", () => {
  const h = fusePerTest();
  const user = (prefix?: string) => h.user(prefix);

  /** A host in its own room of `size`, and the lobby's `made` seen by `watchers`. */
  async function hosting(size = 4, ...watchers: FuseClient[]): Promise<FuseClient> {
    const host = await user("host");
    for (const w of watchers) assert.equal(await w.next(), `here|${host.name}`);
    assert.equal(await host.cmd(`room|race|${size}`), "room|done");
    for (const w of watchers) assert.equal(await w.next(), `made|${host.name}+race+${size}`);
    return host;
  }

  async function joins(c: FuseClient, host: FuseClient, ...inside: FuseClient[]): Promise<void> {
    assert.equal(await c.cmd(`join|${host.name}`), "join|done");
    assert.deepEqual(await c.some(inside.length + 1), [host, ...inside].map((m) => `here|${m.name}`).sort());
    for (const m of [host, ...inside]) assert.equal(await m.next(), `here|${c.name}`);
  }

  /** A new user who joins the host's room; `lobby`, a user there, sees it arrive and go. */
  async function guest(host: FuseClient, lobby?: FuseClient, ...inside: FuseClient[]): Promise<FuseClient> {
    const c = await user();
    if (lobby) assert.equal(await lobby.next(), `here|${c.name}`);
    await joins(c, host, ...inside);
    if (lobby) assert.equal(await lobby.next(), `gone|${c.name}`);
    return c;
  }

  it("open puts the user in the lobby, whose other users get here|<name>", async () => {
    const a = await user();
    const b = await user();
    assert.equal(await a.next(), `here|${b.name}`);
    assert.ok(await b.silentFor(100), "the newcomer gets no line about itself");
  });

  it("room|<type>|<size>: room|done, the lobby gets made, and only from the lobby", async () => {
    const watcher = await user();
    const host = await hosting(4, watcher);
    assert.equal(await host.cmd("room|race|4"), "room|fail|user not in lobby");
    assert.equal(await watcher.cmd("room|a+b|4"), "room|fail|type invalid");
    assert.equal(await watcher.cmd("room|race|zero"), "room|fail|size invalid");
  });

  it("list|room lists unlocked rooms with space left", async () => {
    const a = await user();
    assert.equal(await a.cmd("list|room"), "list|done|room");
    const open = await hosting(4, a);
    const full = await hosting(2, a);
    const locked = await hosting(3, a);
    const guest = await user();
    assert.equal(await a.next(), `here|${guest.name}`);
    await joins(guest, full);
    await a.waitFor((l) => l === `gone|${guest.name}`);
    assert.equal(await locked.cmd("lock"), "lock|done");
    assert.equal(await locked.next(), `link|${locked.name}`);
    assert.equal(await a.cmd("list|room"), `list|done|room|${open.name}+race+4`);
    assert.equal(await a.cmd("list|rooms"), "list|fail|wrong type");
  });

  it("join: join|done, here all to all in the room, gone in the lobby", async () => {
    const lobby = await user();
    const host = await hosting(4, lobby);
    const b = await guest(host, lobby);
    await guest(host, lobby, b);
  });

  it("join refusals: room not found, room is locked, already in room, room is full", async () => {
    const host = await hosting(2);
    const b = await user();
    assert.equal(await b.cmd("join|nosuchroom"), "join|fail|room not found");
    await joins(b, host);
    assert.equal(await b.cmd(`join|${host.name}`), "join|fail|already in room");
    const c = await user();
    assert.equal(await c.cmd(`join|${host.name}`), "join|fail|room is full");
    assert.equal(await host.cmd("lock"), "lock|done");
    assert.equal(await c.cmd(`join|${host.name}`), "join|fail|room is locked");
  });

  it("quit: back to the lobby (here there), gone in the old room; in the lobby: quit|fail|user in lobby", async () => {
    const lobby = await user();
    const host = await hosting(4, lobby);
    const b = await guest(host, lobby);
    assert.equal(await b.cmd("quit"), "quit|done");
    assert.equal(await b.next(), `here|${lobby.name}`);
    assert.equal(await host.next(), `gone|${b.name}`);
    assert.equal(await lobby.next(), `here|${b.name}`);
    assert.equal(await b.cmd("quit"), "quit|fail|user in lobby");
  });

  it("the creator quitting: stop in the room, halt in the lobby, everyone back in the lobby", async () => {
    const lobby = await user();
    const host = await hosting(4, lobby);
    const b = await guest(host, lobby);
    assert.equal(await host.cmd("quit"), "quit|done");
    assert.equal(await b.next(), `stop|${host.name}`);
    const lobbyLines = await lobby.some(3);
    assert.deepEqual(lobbyLines, [`halt|${host.name}`, `here|${b.name}`, `here|${host.name}`].sort());
    // In the lobby, b learns of both: from its here list or from the other's arrival, whichever came first.
    assert.deepEqual(await b.some(2), [`here|${host.name}`, `here|${lobby.name}`].sort());
    assert.equal(await b.cmd("list|room"), "list|done|room");
    assert.equal(await b.cmd(`join|${host.name}`), "join|fail|room not found");
  });

  it("kick: creator only, the user is banned for good and sent to the lobby", async () => {
    const host = await hosting(4);
    const b = await guest(host);
    assert.equal(await b.cmd(`kick|${host.name}`), "kick|fail|not creator");
    assert.equal(await host.cmd("kick|nobody"), "kick|fail|user not here");
    assert.equal(await host.cmd(`kick|${b.name}`), "kick|done");
    assert.equal(await host.next(), `gone|${b.name}`);
    assert.equal(await b.next(), `gone|${b.name}`);
    assert.equal(await b.cmd("quit"), "quit|fail|user in lobby", "the kicked user is in the lobby");
    assert.equal(await b.cmd(`join|${host.name}`), "join|fail|user banned");
    assert.equal(await host.cmd(`kick|${b.name}`), "kick|fail|user not here");
    // Banned for good: the same creator's next room keeps the ban.
    assert.equal(await host.cmd("quit"), "quit|done");
    assert.equal(await host.next(), `here|${b.name}`);
    assert.deepEqual(await b.some(2), [`halt|${host.name}`, `here|${host.name}`]);
    assert.equal(await host.cmd("room|race|4"), "room|done");
    await b.waitFor((l) => l.startsWith("made|"));
    assert.equal(await b.cmd(`join|${host.name}`), "join|fail|user banned");
  });

  it("lock: creator only; everyone in the room gets link|<name>", async () => {
    const host = await hosting(4);
    const b = await guest(host);
    assert.equal(await b.cmd("lock"), "lock|fail|user not room host");
    assert.equal(await host.cmd("lock"), "lock|done");
    assert.equal(await host.next(), `link|${host.name}`);
    assert.equal(await b.next(), `link|${host.name}`);
    const lobbyUser = await user();
    assert.equal(await lobbyUser.cmd("lock"), "lock|fail|user not room host");
  });

  it("exit: exit|done, the user's room gets kill|<name>, and the socket is logged out", async () => {
    const host = await hosting(4);
    const b = await guest(host);
    assert.equal(await b.cmd("exit"), "exit|done");
    assert.equal(await host.next(), `kill|${b.name}`);
    assert.equal(await b.cmd("ping"), "main|fail|user not authorized");
    const lobby = await user();
    const c = await user();
    assert.equal(await lobby.next(), `here|${c.name}`);
    assert.equal(await c.cmd("exit"), "exit|done");
    assert.equal(await lobby.next(), `kill|${c.name}`);
  });

  it("a lost connection is an exit: the room gets kill, a creator's room is dropped", async () => {
    const lobby = await user();
    const host = await hosting(4, lobby);
    const b = await guest(host, lobby);
    host.close();
    assert.equal(await b.next(), `kill|${host.name}`);
    assert.equal(await b.next(), `stop|${host.name}`);
    assert.deepEqual(await lobby.some(2), [`halt|${host.name}`, `here|${b.name}`].sort());
    assert.equal(await b.next(), `here|${lobby.name}`);
  });

  it("info|user and info|room count users online and open rooms", async () => {
    const a = await user();
    await hosting(4, a);
    assert.equal(await a.cmd("info|user"), "info|done|2");
    assert.equal(await a.cmd("info|room"), "info|done|1");
    assert.equal(await a.cmd("info|what"), "info|fail|wrong type");
  });
});
