import { randomId } from "../../core/identity.js";
import type { Hints, LobbyMember, Neighbour } from "../../core/lobby/types.js";
import type { Identity, OutFrame } from "../../core/types.js";
import type { Fuse } from "./context.js";
import type { FuseRenderer } from "./render.js";

/** Where a session's lines go: a WebSocket, or an HTTP session's pull stream. */
export interface Outlet {
  write(line: OutFrame | string): void;
}

/**
 * One logged-in fuse user on this node, whichever transport carries it. Its
 * commands and the moves the lobby makes for it run one at a time.
 */
export class FuseSession implements LobbyMember {
  readonly connId = `fuse-${randomId(12)}`;
  readonly renderer: FuseRenderer;
  readonly hints: Hints;
  at: string | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private over = false;

  constructor(
    private readonly f: Fuse,
    readonly user: Identity,
    addr: string,
    private readonly out: Outlet,
    private readonly onReplaced: () => void,
  ) {
    this.hints = { addr, peer: null, host: null };
    this.renderer = f.renderers.take(addr);
  }

  get ended(): boolean {
    return this.over;
  }

  deliver(frame: OutFrame): void {
    this.out.write(frame);
  }

  send(line: string): void {
    this.out.write(line);
  }

  serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.chain.then(work);
    this.chain = next.catch(() => undefined);
    return next;
  }

  run(work: () => Promise<void>): void {
    this.serial(work).catch((err: unknown) => this.f.ctx.log.error({ err, conn: this.connId, dialect: "fuse" }, "fuse lobby move failed"));
  }

  arrived(_room: string, others: Neighbour[]): void {
    for (const o of others) this.send(o.hint === null ? `here|${o.name}` : `here|${o.name}|${o.hint}`);
  }

  /** Into the lobby (or, replacing this user's live session, into its room). Resolves to the release of held events. */
  async start(): Promise<() => void> {
    await this.f.ctx.core.direct.attach(this);
    return this.f.ctx.core.lobby.enter(this);
  }

  /** `exit`, or the transport is gone for good: the room hears `kill`. */
  async end(): Promise<void> {
    if (this.over) return;
    this.over = true;
    try {
      await this.f.ctx.core.lobby.leave(this);
    } finally {
      this.release();
    }
  }

  replaced(): void {
    if (this.over) return;
    this.over = true;
    this.release();
    this.onReplaced();
  }

  private release(): void {
    this.f.ctx.core.direct.detach(this);
    this.f.renderers.give(this.hints.addr);
  }
}
