// fuse's lines (docs/dialects/fuse.md): replies to commands and the
// broadcasts other users cause, told apart and parsed into types.

/** Commands a client sends: `<command>|<fields…>`. */
export type Command =
  | "user"
  | "salt"
  | "open"
  | "room"
  | "list"
  | "join"
  | "quit"
  | "kick"
  | "lock"
  | "exit"
  | "chat"
  | "send"
  | "move"
  | "info"
  | "ping"
  | "time"
  | "ally"
  | "away"
  | "peer"
  | "host"
  | "save"
  | "load";

/** Lines other users cause. */
export type Broadcast =
  | { type: "here"; name: string; ip?: string }
  | { type: "gone" | "halt" | "stop" | "kill" | "link"; name: string }
  | { type: "made"; name: string; roomType: string; size: number }
  | { type: "text"; from: string; text: string }
  | { type: "sent" | "data"; from: string; data: string }
  | { type: "away"; name: string; away: boolean };

const BROADCASTS = new Set(["here", "gone", "halt", "stop", "kill", "link", "made", "text", "sent", "data", "away", "noop"]);

/** After the first `n` bars, the rest of the line is one field (texts may hold bars). */
function split(line: string, n: number): string[] {
  const out: string[] = [];
  let rest = line;
  for (let i = 0; i < n; i++) {
    const at = rest.indexOf("|");
    if (at < 0) break;
    out.push(rest.slice(0, at));
    rest = rest.slice(at + 1);
  }
  out.push(rest);
  return out;
}

/**
 * Whether `line` answers a command of type `head` (the oldest one waiting).
 * Only `away` is both a command and a broadcast: its reply has two fields
 * (`away|done`) or a reason (`away|fail|data invalid`), the broadcast a name
 * and `true`/`false`.
 */
export function isReply(line: string, head: string | undefined): boolean {
  if (head === undefined) return false;
  const f = line.split("|");
  if ((f[0] !== head && f[0] !== "main") || (f[1] !== "done" && f[1] !== "fail")) return false;
  if (f[0] === "away") return (f[1] === "done" && f.length === 2) || (f[1] === "fail" && f[2] !== "true" && f[2] !== "false");
  return true;
}

/** A broadcast line as an event, or null for `noop` and lines that are none. */
export function parseBroadcast(line: string): Broadcast | null {
  const type = line.slice(0, line.indexOf("|") >>> 0);
  if (!BROADCASTS.has(type) || type === "noop") return null;
  switch (type) {
    case "here": {
      const [, name, ip] = line.split("|");
      return ip ? { type, name, ip } : { type, name };
    }
    case "made": {
      const [, spec] = split(line, 1);
      const [name, roomType, size] = spec.split("+");
      return { type, name, roomType, size: Number(size) };
    }
    case "text": {
      const [, from, text] = split(line, 2);
      return { type, from, text };
    }
    case "sent":
    case "data": {
      const [, from, data] = split(line, 2);
      return { type, from, data };
    }
    case "away": {
      const [, name, flag] = line.split("|");
      return { type, name, away: flag === "true" };
    }
    default:
      return { type: type as "gone", name: split(line, 1)[1] };
  }
}

/** A reply's fields after `done`, or a FuseError's reason after `fail`. */
export function replyFields(line: string): { ok: boolean; fields: string[] } {
  const f = line.split("|");
  return { ok: f[1] === "done", fields: f.slice(2) };
}
