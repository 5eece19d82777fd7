import type { Caller, Command, Fuse, Reply } from "./context.js";
import { lobbyCommands, listRooms } from "./commands-lobby.js";
import { talkCommands } from "./commands-talk.js";
import { dataCommands, listData } from "./commands-data.js";
import { hasBreak, parseLine, type Line } from "./line.js";
import { RoomRefusal } from "../../core/room-records.js";

const commands: Record<string, Command> = {
  ...lobbyCommands,
  ...talkCommands,
  ...dataCommands,
  async list(f, s, line, caller) {
    if (line.args[0] === "room") return listRooms(f);
    if (line.args[0] === "data") return listData(f, s, line, caller);
    return "list|fail|wrong type";
  },
};

/** The commands that work before `open`: registering, a salt, and `open` itself. */
const before: Record<string, (f: Fuse, line: Line, caller: Caller) => Promise<Reply | string>> = {
  async user(f, { args }, caller) {
    // Every attempt counts, on the same per-address quota as accounts made over HTTP (`auth.creationsPerAddress`).
    if (!(await f.ctx.core.accounts.mayCreate(caller.addr))) return "user|fail|too many attempts";
    const result = await f.accounts.register(caller.name, args[0] ?? "", args.slice(1).join("|"));
    if (!result.ok) return `user|fail|${result.reason}`;
    const line = `user|done|${result.key}|${result.id}`;
    // The seed: registering does not log in. The original server did, and its cookie-less clients (legacy mode) pull right after it.
    if (!f.ctx.config.fuse.legacy) return line;
    return { line, after: await caller.login(result.user) };
  },
  async salt(f) {
    return `salt|done|${await f.accounts.salt()}`;
  },
  async open(f, { args }, caller) {
    // Checked before anything else, so a blocked name or address learns nothing, not even whether the pass was right.
    if (await f.logins.blocked(caller.name, caller.addr)) return "open|fail|too many attempts";
    const result = await f.accounts.open(caller.name, args[0] ?? "", args[1] ?? "");
    if (!result.ok) {
      // A stale salt proves nothing about the pass: only guesses count.
      if (result.reason !== "salt not found") await f.logins.fail(caller.name, caller.addr);
      return `open|fail|${result.reason}`;
    }
    await f.logins.succeed(caller.name);
    return { line: "open|done", after: await caller.login(result.user) };
  },
};

const has = (table: object, type: string) => Object.prototype.hasOwnProperty.call(table, type);

/** The protocol's name checks, for every command but `user` and `salt` (and for `/pull`). */
export function nameProblem(name: string): string | null {
  if (name === "") return "main|fail|name missing";
  if (name.length < 3) return "main|fail|name too short";
  return null;
}

/** One line in, its direct answer out. Nothing thrown gets past here: it becomes `<type>|fail|<reason>`. */
export async function dispatch(f: Fuse, caller: Caller, text: string): Promise<Reply> {
  const line = parseLine(text);
  try {
    const reply = await answer(f, caller, line, text);
    return typeof reply === "string" ? { line: reply } : reply;
  } catch (err) {
    if (err instanceof RoomRefusal) return { line: `${line.type}|fail|room keeps no messages` };
    f.ctx.log.error({ err, dialect: "fuse", type: line.type }, "fuse command failed");
    return { line: `${has(before, line.type) || has(commands, line.type) ? line.type : "main"}|fail|internal error` };
  }
}

async function answer(f: Fuse, caller: Caller, line: Line, text: string): Promise<Reply | string> {
  if (Buffer.byteLength(text) > f.ctx.config.fuse.maxLineBytes) return "main|fail|line too long";
  if (hasBreak(text)) return "main|fail|line invalid";
  const known = has(before, line.type) || has(commands, line.type);
  if (!known) return "main|fail|type not found";
  if (line.type !== "user" && line.type !== "salt") {
    const problem = nameProblem(caller.name);
    if (problem) return problem;
  }
  if (has(before, line.type)) return before[line.type](f, line, caller);
  const session = caller.session();
  // A session answers only to its own name: the name parameter cannot borrow another user's session.
  if (!session || session.ended || session.user.name.toLowerCase() !== caller.name.toLowerCase()) return "main|fail|user not authorized";
  return session.serial(() => (session.ended ? Promise.resolve("main|fail|user not authorized") : commands[line.type](f, session, line, caller)));
}
