import { TokenBucket } from "../../core/rate-limit.js";
import type { Identity, OutFrame } from "../../core/types.js";
import type { WsConnection } from "../../transport/ws-connection.js";
import type { Caller, Fuse } from "./context.js";
import { dispatch } from "./dispatch.js";
import { FuseSession, type Outlet } from "./session.js";

/** Close code for a socket whose user logged in somewhere else. */
export const REPLACED = 4000;

/** `/fuse`: one line per text frame; replies and broadcasts share the socket, which is the session. */
export class FuseSocket implements Caller {
  private current: FuseSession | null = null;
  private chain: Promise<void> = Promise.resolve();
  private readonly bucket: TokenBucket;
  private closing = false;
  /** Lines for the session while a command runs: they follow its reply, as they were caused by it or came before it. */
  private pending: Array<OutFrame | string> | null = null;
  private readonly out: Outlet = {
    write: (line) => {
      if (this.pending) this.pending.push(line);
      else this.conn.send(line);
    },
  };

  constructor(
    private readonly f: Fuse,
    private readonly conn: WsConnection,
    readonly name: string,
    readonly addr: string,
  ) {
    const limits = f.ctx.config.limits;
    this.bucket = new TokenBucket(limits.messagesPerSecond, limits.burst);
    conn.bind({ onFrame: (data, isBinary) => this.onFrame(data, isBinary), onClose: () => this.onClose() });
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
    return session.start();
  }

  loggedOut(): void {
    this.current = null;
  }

  end(code: number, reason: string): void {
    this.closing = true;
    this.conn.close(code, reason);
  }

  private replaced(session: FuseSession): void {
    if (this.current !== session) return;
    this.current = null;
    this.end(REPLACED, "session replaced");
  }

  private onFrame(data: Buffer, isBinary: boolean): void {
    if (this.closing) return;
    this.f.ctx.metrics.framesIn.inc({ dialect: "fuse" });
    // Refusals wait their turn like any reply: a socket's answers come in its lines' order.
    if (isBinary) return this.refuse("line invalid");
    if (!this.bucket.take()) return this.refuse("rate limited");
    const text = data.toString("utf8").replace(/\r?\n$/, "");
    this.chain = this.chain.then(async () => {
      if (this.closing) return;
      this.pending = [];
      const reply = await dispatch(this.f, this, text);
      const pending = this.pending;
      this.pending = null;
      this.conn.send(reply.line);
      for (const line of pending) this.conn.send(line);
      reply.after?.();
    });
  }

  private refuse(reason: string): void {
    this.f.ctx.metrics.protocolErrors.inc({ dialect: "fuse", code: reason });
    this.chain = this.chain.then(() => {
      if (!this.closing) this.conn.send(`main|fail|${reason}`);
    });
  }

  private onClose(): void {
    this.closing = true;
    // After the command in progress: an `open` still running binds its session first, and it is ended too.
    this.chain = this.chain.then(() => {
      const session = this.current;
      this.current = null;
      if (session) session.run(() => session.end());
    });
  }
}
