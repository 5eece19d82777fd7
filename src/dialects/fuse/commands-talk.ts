import { isIPv4, isIPv6 } from "node:net";
import { LOBBY_ROOM } from "../../core/lobby/types.js";
import type { Command } from "./context.js";
import { javaTime, validMove } from "./line.js";
import { FUSE_EVENTS } from "./render.js";

/** `@<name> <text>`: private to that user. */
const PRIVATE = /^@([^ ]+) ([\s\S]*)$/;

/** Chat, game data, and the small commands around them. */
export const talkCommands: Record<string, Command> = {
  async chat(f, s, { rest }) {
    const core = f.ctx.core;
    const whisper = PRIVATE.exec(rest);
    if (whisper) {
      const [, name, body] = whisper;
      const target = (await core.lobby.online()).find((o) => o.name.toLowerCase() === name.toLowerCase());
      if (!target) return "chat|fail|user not online";
      await core.direct.send(target.id, s.user, "msg", { body, private: true });
      return "chat|done";
    }
    // Stored before anyone hears of it, as every room message is: `chat|done` means it is kept.
    await core.rooms.post(s.at ?? LOBBY_ROOM, s.user, "msg", { body: rest });
    return "chat|done";
  },
  async send(f, s, { rest }) {
    await f.ctx.core.rooms.signal(s.at ?? LOBBY_ROOM, s.user, FUSE_EVENTS.sent, { data: rest }, { user: s.user.id });
    return "send|done";
  },
  async move(f, s, { rest, args }) {
    if (!validMove(args)) return "move|fail|data invalid";
    await f.ctx.core.rooms.signal(s.at ?? LOBBY_ROOM, s.user, FUSE_EVENTS.move, { data: rest }, { user: s.user.id });
    return "move|done";
  },
  async ping() {
    return "ping|done";
  },
  async time() {
    return `time|done|${javaTime(Date.now())}`;
  },
  async ally(f, s, { args }) {
    const ally = await f.accounts.find(args[0] ?? "");
    if (!ally) return "ally|fail|user not found";
    const away = await f.ctx.core.lobby.allies.add(s.user, ally);
    return { line: "ally|done", after: away ? () => s.send(`away|${ally.name}|true`) : undefined };
  },
  async away(f, s, { args }) {
    if (args[0] !== "true" && args[0] !== "false") return "away|fail|data invalid";
    await f.ctx.core.lobby.allies.setAway(s.user, args[0] === "true");
    return "away|done";
  },
  async peer(f, s, { args }) {
    if (!isIPv4(args[0] ?? "")) return "peer|fail|address invalid";
    s.hints.peer = args[0];
    await f.ctx.core.lobby.refresh(s);
    return "peer|done";
  },
  async host(f, s, { args }) {
    if (!isIPv6(args[0] ?? "")) return "host|fail|address invalid";
    s.hints.host = args[0];
    await f.ctx.core.lobby.refresh(s);
    return "host|done";
  },
};
