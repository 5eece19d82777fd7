// fuse over its WebSocket (`/fuse?name=`): one text frame per line. The
// socket answers in the order lines were sent, so the oldest command waiting
// owns the next reply; login steps go first on a new socket.

import { Connection, type ConnectionOptions, type Link, type LostInfo } from "../common/connection.js";
import { closedError, SwitchboardError } from "../common/errors.js";
import { Pending, rejectInFlight, request } from "../common/requests.js";
import { addressOf, socketUrl, type ServerAddress } from "../common/urls.js";
import { isReply } from "./lines.js";
import type { FuseTransport, TransportHooks } from "./transport.js";

export class WsTransport implements FuseTransport {
  private readonly conn: Connection;
  private readonly pending = new Pending<string>();
  private step: { type: string; resolve: (line: string) => void } | null = null;

  constructor(url: ServerAddress, name: string, opts: ConnectionOptions, private readonly hooks: TransportHooks) {
    this.conn = new Connection(async () => socketUrl(await addressOf(url), "/fuse", { name }), opts, {
      handshake: (link: Link, reconnect: boolean) => hooks.login((line) => this.send(link, line), reconnect).finally(() => (this.step = null)),
      frame: (text: string) => this.onLine(text),
      lost: (info: LostInfo) => this.onLost(info),
      closed: (err: SwitchboardError) => {
        this.pending.rejectAll(() => err);
        hooks.closed(err);
      },
      ping: (link: Link) => {
        // In line with the commands: its reply is taken off the queue like theirs.
        this.pending.add("cmd", opts.pingTimeoutMs ?? 10_000, "ping", "ping").promise.catch(() => undefined);
        link.send("ping");
      },
    }, hooks.state);
  }

  get state() {
    return this.conn.state;
  }

  start(): Promise<void> {
    return this.conn.start();
  }

  command(line: string, timeoutMs: number): Promise<string> {
    if (this.conn.state === "closed") return Promise.reject(closedError());
    const type = line.split("|")[0];
    return request(this.conn, this.pending, "cmd", line, timeoutMs, type, type);
  }

  reconnectNow(): void {
    this.conn.reconnectNow();
  }

  close(): void {
    this.conn.close(1000, "");
  }

  /** A login step: on this socket, ahead of any queued command. */
  private send(link: Link, line: string): Promise<string> {
    return new Promise((resolve) => {
      this.step = { type: line.split("|")[0], resolve };
      link.send(line);
    });
  }

  private onLost(info: LostInfo): SwitchboardError | null {
    this.step = null;
    rejectInFlight(this.pending);
    // Another login of this user took the session over: coming back would take it back.
    if (info.code === 4000) return new SwitchboardError("session.replaced", "this user logged in elsewhere", { fatal: true });
    return null;
  }

  private onLine(line: string): void {
    if (this.step && isReply(line, this.step.type)) {
      const step = this.step;
      this.step = null;
      return step.resolve(line);
    }
    if (isReply(line, this.pending.peek("cmd") as string | undefined)) {
      this.pending.resolve("cmd", line);
      return;
    }
    this.hooks.line(line);
  }
}
