// The fuse client: log in with the md5 challenge, commands as promises,
// broadcasts as typed events, over the WebSocket (default) or HTTP push and
// pull. fuse keeps nothing of a session across connections: when a session
// is lost the client logs in again, and the app is told it is back in the
// lobby and missed whatever was said meanwhile.

import type { ConnectionOptions, StateChange } from "../common/connection.js";
import { SwitchboardError } from "../common/errors.js";
import { Emitter } from "../common/events.js";
import type { FetchLike, HttpOptions } from "../common/http.js";
import { md5 } from "../common/md5.js";
import { httpUrl, type ServerAddress } from "../common/urls.js";
import { HttpTransport, type StreamingFetch } from "./http-transport.js";
import { parseBroadcast, replyFields, type Broadcast } from "./lines.js";
import type { FuseTransport } from "./transport.js";
import { WsTransport } from "./ws-transport.js";

export interface FuseOptions extends ConnectionOptions {
  /** The server: `localhost:4040`, `http://host:4040`; or a function asked before every attempt. */
  url: ServerAddress;
  /** The user's name (an anonymous user's is its id). */
  name: string;
  /** The key `user|…` answered with… */
  key?: string;
  /** …or the pass the user registered with (the protocol sends `md5(pass + name)`). */
  pass?: string;
  /** `websocket` (default) or `http`: pushes and a held pull, the protocol's original comet transport. */
  transport?: "websocket" | "http";
  /** For the HTTP transport: a fetch that can stream (default: the global one). */
  fetch?: StreamingFetch;
  /** For the HTTP transport: a pull silent this long is opened again (default 15 s; the server says `noop` every 5 s). */
  pullSilenceMs?: number;
}

type BroadcastEvents = { [T in Broadcast["type"]]: Broadcast & { type: T } };

export interface FuseEvents extends BroadcastEvents {
  state: StateChange;
  /** Every broadcast line, parsed. */
  broadcast: Broadcast;
  /** Logged in (again, after a reconnect). */
  login: { name: string; reconnect: boolean };
  /**
   * What fuse cannot recover: after a reconnect, no session (`fuse.no-session`: back in the lobby, what was said
   * meanwhile is gone); over HTTP, a broken pull (`fuse.lines-lost`: same session and room, lines in flight lost).
   */
  "recovery-failed": { error: SwitchboardError; wasIn: string };
  error: SwitchboardError;
}

/** The pass as the protocol carries it. */
export const fusePass = (name: string, pass: string) => md5(pass + name);

/** Registers `name` (empty: an anonymous user) over HTTP; resolves with its key and id. */
export async function registerFuse(server: string, name: string, opts: { mail?: string; pass?: string } & HttpOptions = {}): Promise<{ key: string; id: string }> {
  const pass = opts.pass ? fusePass(name, opts.pass) : "";
  const url = httpUrl(server, "/push", { name: name || undefined, data: `user|${opts.mail ?? ""}|${pass}` });
  const doFetch = opts.fetch ?? (globalThis.fetch as unknown as FetchLike);
  const res = await doFetch(url, { method: "GET", headers: {} });
  const line = await res.text();
  const { ok, fields } = replyFields(line);
  if (!ok) throw new SwitchboardError(fields[0] ?? "user.refused", `user: ${fields[0] ?? line}`);
  return { key: fields[0], id: fields[1] };
}

export class FuseClient extends Emitter<FuseEvents> {
  /** `lobby`, or the creator name of the game room the user is in. */
  where = "lobby";
  private readonly transport: FuseTransport;
  private readonly timeoutMs: number;

  constructor(private readonly opts: FuseOptions) {
    super();
    if (!opts.key && !opts.pass) throw new SwitchboardError("credentials.missing", "a fuse client needs a key or a pass");
    this.timeoutMs = opts.requestTimeoutMs ?? 15_000;
    const hooks = {
      line: (line: string) => this.onBroadcast(line),
      state: (change: StateChange) => this.emit("state", change),
      login: (send: (line: string) => Promise<string>, reconnect: boolean) => this.login(send, reconnect),
      closed: (err: SwitchboardError) => this.emit("error", err),
      interrupted: () =>
        this.emit("recovery-failed", {
          wasIn: this.where,
          error: new SwitchboardError("fuse.lines-lost", "the pull broke and was opened again: lines the server had already sent on it are lost (the session and its room are kept)"),
        }),
    };
    this.transport = opts.transport === "http" ? new HttpTransport(opts.url, opts.name, opts, hooks) : new WsTransport(opts.url, opts.name, opts, hooks);
  }

  get state(): StateChange["state"] {
    return this.transport.state;
  }

  get name(): string {
    return this.opts.name;
  }

  /** Connects and logs in. */
  async connect(): Promise<void> {
    await this.transport.start();
  }

  /** Sends one line; resolves with the fields after `done`, rejects with the reason after `fail`. */
  async command(line: string): Promise<string[]> {
    if (/[\r\n]/.test(line)) throw new SwitchboardError("line invalid", "a fuse line cannot hold a line break");
    const type = line.split("|")[0];
    const reply = await this.transport.command(line, this.timeoutMs);
    const { ok, fields } = replyFields(reply);
    if (!ok) throw new SwitchboardError(fields[0] ?? "fail", `${type}: ${fields[0] ?? reply}`);
    return fields;
  }

  chat(text: string): Promise<string[]> {
    return this.command(`chat|${text}`);
  }

  /** A private message to a user wherever it is. */
  whisper(to: string, text: string): Promise<string[]> {
    return this.command(`chat|@${to} ${text}`);
  }

  /** Makes a game room (keyed by this user's name) and moves into it. */
  async createRoom(type: string, size: number): Promise<void> {
    await this.command(`room|${type}|${size}`);
    this.where = this.name;
  }

  /** Open rooms: creator, type and size. */
  async rooms(): Promise<Array<{ name: string; type: string; size: number }>> {
    const fields = await this.command("list|room");
    return fields.slice(1).map((spec) => {
      const [name, type, size] = spec.split("+");
      return { name, type, size: Number(size) };
    });
  }

  async join(creator: string): Promise<void> {
    await this.command(`join|${creator}`);
    this.where = creator;
  }

  async quit(): Promise<void> {
    await this.command("quit");
    this.where = "lobby";
  }

  kick(name: string): Promise<string[]> {
    return this.command(`kick|${name}`);
  }

  lock(): Promise<string[]> {
    return this.command("lock");
  }

  /** Game data to the others in the room (`sent` there). */
  send(data: string): Promise<string[]> {
    return this.command(`send|${data}`);
  }

  move(position: [number, number, number], rotation: [number, number, number, number], action: string): Promise<string[]> {
    return this.command(`move|${position.join("+")}|${rotation.join("+")}|${action}`);
  }

  async info(what: "user" | "room"): Promise<number> {
    return Number((await this.command(`info|${what}`))[0]);
  }

  async time(): Promise<string> {
    return (await this.command("time"))[0];
  }

  ally(name: string): Promise<string[]> {
    return this.command(`ally|${name}`);
  }

  away(away: boolean): Promise<string[]> {
    return this.command(`away|${away}`);
  }

  /** Saves a JSON record of `type`; resolves with its id and the saver's key for it. */
  async save(type: string, record: object): Promise<{ id: string; key: string }> {
    const [id, key] = await this.command(`save|${type}|${JSON.stringify(record)}`);
    return { id, key };
  }

  async load<T = unknown>(type: string, id: string): Promise<T> {
    const fields = await this.command(`load|${type}|${id}`);
    return JSON.parse(fields.join("|")) as T;
  }

  async listData(type: string): Promise<string[]> {
    return (await this.command(`list|data|${type}`)).slice(1);
  }

  /** Logs out (the room hears `kill`) and closes. */
  async logout(): Promise<void> {
    await this.command("exit").catch(() => undefined);
    this.close();
  }

  reconnectNow(): void {
    this.transport.reconnectNow();
  }

  close(): void {
    this.transport.close();
  }

  // ---- sessions and broadcasts ----

  /** salt, then open with md5(secret + salt); run by the transport on every new session. */
  private async login(send: (line: string) => Promise<string>, reconnect: boolean): Promise<void> {
    const salted = replyFields(await send("salt"));
    if (!salted.ok) throw new SwitchboardError(salted.fields[0] ?? "salt failed", `salt: ${salted.fields[0]}`);
    const secret = this.opts.key ?? fusePass(this.name, this.opts.pass!);
    const opened = replyFields(await send(`open|${salted.fields[0]}|${md5(secret + salted.fields[0])}`));
    if (!opened.ok) {
      const reason = opened.fields[0] ?? "open failed";
      // Wrong credentials stay wrong; too many attempts passes with time.
      throw new SwitchboardError(reason, `open: ${reason}`, { fatal: reason !== "too many attempts" });
    }
    const wasIn = this.where;
    this.where = "lobby";
    this.emit("login", { name: this.name, reconnect });
    if (reconnect)
      this.emit("recovery-failed", {
        wasIn,
        error: new SwitchboardError("fuse.no-session", "fuse keeps no session across connections: logged in again in the lobby; what was said meanwhile is not replayed"),
      });
  }

  private onBroadcast(line: string): void {
    const b = parseBroadcast(line);
    if (!b) return;
    this.track(b);
    this.emit("broadcast", b);
    this.emit(b.type, b as never);
  }

  /** Moves the server makes without a command of ours: a kick, a dropped room. */
  private track(b: Broadcast): void {
    if (this.where === "lobby") return;
    if ((b.type === "gone" && b.name.toLowerCase() === this.name.toLowerCase()) || b.type === "stop") this.where = "lobby";
  }
}
