import type { Identity } from "../../core/types.js";
import { ClientConnection } from "../../connection/client-connection.js";
import type { Handlers, Protocol } from "../../connection/protocol.js";
import type { Transport } from "../types.js";
import type { Caller, Fuse } from "./context.js";
import { dispatch } from "./dispatch.js";
import { FuseSession, type Outlet } from "./session.js";

/** Close code for a socket whose user logged in somewhere else. */
export const REPLACED = 4000;

const fail = (reason: string) => ({ text: `main|fail|${reason}`, code: reason });

/** Lines over a WebSocket: one per text frame. How long a line may be is the dispatcher's rule, the same for every fuse transport. */
const fuseProtocol: Protocol<string> = {
  name: "fuse",
  format: "text",
  maxFrameBytes: () => Number.POSITIVE_INFINITY,
  // A line may end in one newline, which is not part of it.
  read: (text) => ({ ok: true, request: (text as string).replace(/\r?\n$/, "") }),
  refuse(r) {
    if (r.kind === "binary") return fail("line invalid");
    if (r.kind === "overloaded") return { ...fail("rate limited"), close: { code: 1008, reason: "too many lines waiting" } };
    return fail("rate limited");
  },
};

/** `/fuse`: one line per text frame; replies and broadcasts share the socket, which is the session. */
export class FuseSocket implements Caller, Handlers<string> {
  private current: FuseSession | null = null;
  private readonly conn: ClientConnection<string>;
  private readonly out: Outlet = { write: (line) => this.conn.push(line) };

  constructor(
    private readonly f: Fuse,
    transport: Transport,
    readonly name: string,
    readonly addr: string,
  ) {
    this.conn = new ClientConnection(f.ctx.clients, transport, fuseProtocol, this);
  }

  session(): FuseSession | null {
    return this.current;
  }

  async login(user: Identity): Promise<() => void> {
    const old = this.current;
    // The same user again is a takeover the lobby carries out; another user logs the first one out.
    if (old && old.user.id !== user.id) await old.serial(() => old.end());
    const session = new FuseSession(this.f, user, this.addr, this.out, () => this.replaced(session));
    this.current = session;
    this.conn.actAs(user.id);
    return session.start();
  }

  loggedOut(): void {
    this.current = null;
  }

  private replaced(session: FuseSession): void {
    if (this.current !== session) return;
    this.current = null;
    this.conn.close(REPLACED, "session replaced");
  }

  /** Lines for the session while a command runs follow its reply: they were caused by it or came before it. */
  async handle(text: string): Promise<void> {
    this.conn.hold();
    const reply = await dispatch(this.f, this, text);
    this.conn.send(reply.line);
    if (reply.after) this.conn.afterReply(reply.after);
  }

  failed(err: unknown): void {
    // dispatch turns everything thrown into a fail line; this is for what is left.
    this.f.ctx.log.error({ err, dialect: "fuse" }, "fuse line failed");
    this.conn.send("main|fail|internal error");
  }

  /** After the command in progress: an `open` still running binds its session first, and it is ended too. */
  closed(): void {
    const session = this.current;
    this.current = null;
    if (session) session.run(() => session.end());
  }
}
