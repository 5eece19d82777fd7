import type { LobbyRefusal, LobbyResult } from "../../core/lobby/types.js";
import type { Command, Fuse, Reply } from "./context.js";

const REASONS: Record<LobbyRefusal, string> = {
  "user.in-lobby": "user in lobby",
  "user.not-in-lobby": "user not in lobby",
  "user.in-room": "already in room",
  "user.not-creator": "not creator",
  "user.not-here": "user not here",
  "user.banned": "user banned",
  "room.not-found": "room not found",
  "room.locked": "room is locked",
  "room.full": "room is full",
};

function answer(type: string, result: LobbyResult, reasons: Partial<Record<LobbyRefusal, string>> = {}): Reply {
  if (!result.ok) return { line: `${type}|fail|${reasons[result.code] ?? REASONS[result.code]}` };
  return { line: `${type}|done`, after: result.finish };
}

/** A room type must not hold the `+` that separates the fields of `made` and `list`. */
const ROOM_TYPE = /^[^+]{1,64}$/;
const SIZE = /^\d{1,6}$/;

/** `list|room`: rooms anyone can still join, unlocked and with space left. */
export async function listRooms(f: Fuse): Promise<string> {
  const rooms = await f.ctx.core.lobby.openRooms();
  return ["list|done|room", ...rooms.filter((r) => !r.locked && r.members < r.size).map((r) => `${r.name}+${r.type}+${r.size}`)].join("|");
}

export const lobbyCommands: Record<string, Command> = {
  async room(f, s, { args }) {
    const [type = "", sizeText = ""] = args;
    const size = Number(sizeText);
    if (!ROOM_TYPE.test(type)) return "room|fail|type invalid";
    if (!SIZE.test(sizeText) || size < 1 || size > f.ctx.config.fuse.maxRoomSize) return "room|fail|size invalid";
    return answer("room", await f.ctx.core.lobby.create(s, type, size));
  },
  async join(f, s, { args }) {
    return answer("join", await f.ctx.core.lobby.join(s, args[0] ?? ""));
  },
  async quit(f, s) {
    return answer("quit", await f.ctx.core.lobby.quit(s));
  },
  async kick(f, s, { args }) {
    return answer("kick", await f.ctx.core.lobby.kick(s, args[0] ?? ""));
  },
  async lock(f, s) {
    return answer("lock", await f.ctx.core.lobby.lock(s), { "user.not-creator": "user not room host" });
  },
  async exit(_f, s, _line, caller) {
    await s.end();
    caller.loggedOut();
    return "exit|done";
  },
  async info(f, _s, { args }) {
    if (args[0] === "user") return `info|done|${(await f.ctx.core.lobby.online()).length}`;
    if (args[0] === "room") return `info|done|${(await f.ctx.core.lobby.openRooms()).length}`;
    return "info|fail|wrong type";
  },
};
