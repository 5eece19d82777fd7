import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { WebSocket } from "ws";
import { spawnServer, type ServerChild } from "./child.js";
import { exchange, type Role } from "./clients.js";

export interface Contestant {
  readonly key: string;
  readonly label: string;
  start(port: number): Promise<ServerChild>;
  url(port: number, role: Role, room: string): string;
  /** Completes the protocol's own handshake (init, join…) on a freshly opened socket. */
  handshake(ws: WebSocket, role: Role, room: string): Promise<void>;
  /** Keeps the connection alive for as long as the benchmark holds it (protocol pings). */
  keepAlive?(ws: WebSocket): void;
  /** The frame the publisher sends as message `i`. */
  message(i: number, body: string): string;
  /** Whether an inbound frame is one fanned-out message (not a join notice, ping…). */
  isDelivery(data: Buffer): boolean;
}

const TSX = ["--import", "tsx"];
const wsUrl = (port: number, role: Role, room: string) => `ws://127.0.0.1:${port}/?role=${role}&room=${encodeURIComponent(room)}`;

/** Every message body: 100 ASCII bytes, the payload size the design's reference numbers use. */
export const BODY = "x".repeat(90) + "0123456789";

const rawWs = (key: string, label: string, script: string): Contestant => ({
  key,
  label,
  start: (port) => spawnServer([...TSX, `bench/servers/${script}`, String(port)], port),
  url: wsUrl,
  handshake: async () => undefined,
  message: (_i, body) => body,
  isDelivery: () => true,
});

export const wsNaive = rawWs("ws", "ws (send per socket)", "ws-naive.ts");
export const wsBatched = rawWs("ws-batched", "ws (shared frame, batched)", "ws-batched.ts");

const MSG = Buffer.from('"o":"msg"');

/** Node flags for the server's child process (profiling), and settings beyond the bench's usual ones. */
export interface SwitchboardExtras {
  nodeFlags?: string[];
  /** `key=value` settings, each passed as `--set`. */
  settings?: string[];
  stopTimeoutMs?: number;
}

/**
 * Whether the server's config schema knows a setting. The schema is strict (an
 * unknown key stops the server), and the bench runs against whatever src/ holds.
 */
function knowsSetting(key: string): boolean {
  try {
    return readFileSync("src/config/schema.ts", "utf8").includes(`${key}:`);
  } catch {
    return false;
  }
}

/**
 * Switchboard as a user runs it, on a fresh data folder removed again by stop();
 * `env` adds settings (the durable scenario's SWITCHBOARD_STORE=postgres://…).
 */
export async function startSwitchboard(port: number, env: NodeJS.ProcessEnv = {}, extras: SwitchboardExtras = {}): Promise<ServerChild> {
  const data = await mkdtemp(join(tmpdir(), "sb-bench-"));
  const args = [
    ...(extras.nodeFlags ?? []),
    ...TSX, "src/cli.ts", "start", "--port", String(port), "--data", data, "--host", "127.0.0.1", "--log-level", "warn",
    // The flood guard would (rightly) stop one publisher sending thousands of messages a second.
    "--set", "limits.messagesPerSecond=100000", "--set", "limits.burst=100000",
    // Receivers send nothing after joining; keep the idle timeout out of the way of a long run.
    "--set", "instalk.idleMs=3600000",
    // Every bench client comes from 127.0.0.1: the per-address connection cap would refuse most of them.
    ...(knowsSetting("connectionsPerAddress") ? ["--set", "limits.connectionsPerAddress=1000000"] : []),
    ...(extras.settings ?? []).flatMap((s) => ["--set", s]),
  ];
  const child = await spawnServer(args, port, env, extras.stopTimeoutMs).catch(async (err: unknown) => {
    await rm(data, { recursive: true, force: true });
    throw err;
  });
  return {
    pid: child.pid,
    port,
    spawnedAt: child.spawnedAt,
    async stop() {
      await child.stop();
      await rm(data, { recursive: true, force: true });
    },
  };
}

export const switchboard: Contestant = {
  key: "switchboard",
  label: "Switchboard instalk",
  start: (port) => startSwitchboard(port),
  url: (port) => `ws://127.0.0.1:${port}/websocket`,
  async handshake(ws, _role, room) {
    await exchange(ws, JSON.stringify({ v: "0.1" }), (t) => t.startsWith('{"welcome"'));
    await exchange(ws, JSON.stringify({ r: room, o: "join" }), (t) => t.includes('"o":"room-welcome"'));
  },
  message: (_i, body) => JSON.stringify({ r: "bench", o: "msg", data: { body } }),
  isDelivery: (data) => data.includes(MSG),
};

// Engine.IO v4 over a bare WebSocket: "0{…}" open, "40" namespace connect,
// "2"/"3" ping/pong, "42[…]" an event. Raw frames keep the client side as cheap
// as for the other contestants.
export const socketIo: Contestant = {
  key: "socket.io",
  label: "Socket.IO",
  start: (port) => spawnServer([...TSX, "bench/servers/socketio.ts", String(port)], port),
  url: (port, role, room) => `ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket&role=${role}&room=${encodeURIComponent(room)}`,
  async handshake(ws) {
    // The open packet may already be in; the namespace connect is answered by "40{sid}".
    await exchange(ws, "40", (t) => t.startsWith("40"));
  },
  keepAlive(ws) {
    ws.on("message", (data: Buffer) => {
      if (data.length === 1 && data[0] === 0x32) ws.send("3");
    });
  },
  message: (_i, body) => `42${JSON.stringify(["msg", body])}`,
  isDelivery: (data) => data[0] === 0x34 && data[1] === 0x32,
};
