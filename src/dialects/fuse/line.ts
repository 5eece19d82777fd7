/** A command line: its type (the first field) and the text after `type|`. */
export interface Line {
  type: string;
  /** Everything after the first `|` ("" when there is none). */
  rest: string;
  /** The fields after the type. */
  args: string[];
}

export function parseLine(text: string): Line {
  const bar = text.indexOf("|");
  if (bar < 0) return { type: text, rest: "", args: [] };
  const rest = text.slice(bar + 1);
  return { type: text.slice(0, bar), rest, args: rest.split("|") };
}

/** Lines travel one per `\n` (pull) or SSE event: a CR or LF inside one would forge the next. */
export const hasBreak = (text: string) => /[\r\n]/.test(text);

export const NAME = /^[a-zA-Z0-9.]+$/;
export const DIGITS = /^\d+$/;
const MAIL_CHARS = /^[a-zA-Z0-9.@\-+]+$/;

/** The protocol's mail rule: its characters, and an `@` somewhere after the first character. */
export const validMail = (mail: string) => MAIL_CHARS.test(mail) && mail.indexOf("@", 1) > 0;

const NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;

function numbers(field: string | undefined, count: number): boolean {
  const parts = field?.split("+") ?? [];
  return parts.length === count && parts.every((p) => NUMBER.test(p) && Number.isFinite(Number(p)));
}

/** `<x>+<y>+<z>|<x>+<y>+<z>+<w>|<action>(|<speed>|…)`: a position, an orientation, then at least an action. */
export function validMove(args: string[]): boolean {
  return args.length >= 3 && numbers(args[0], 3) && numbers(args[1], 4) && args[2] !== "";
}

/** Java's `yyyy-MM-dd'T'HH:mm:ss.SSSZ` in UTC: `Z` there is the numeric offset, so `+0000`. */
export function javaTime(ms: number): string {
  return new Date(ms).toISOString().replace("Z", "+0000");
}
