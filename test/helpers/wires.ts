import { PollClient, SseClient } from "./http-clients.js";
import { TestClient } from "./ws-client.js";

/** The three ways a client reaches a dialect's endpoint. */
export type WireKind = "websocket" | "sse" | "poll";
export const WIRE_KINDS: readonly WireKind[] = ["websocket", "sse", "poll"];

/** What a test does with one connection, whatever carries it. */
export interface Wire {
  readonly frames: string[];
  readonly closed: { code: number; reason: string } | null;
  send(value: unknown): void;
  next(timeoutMs?: number): Promise<Record<string, unknown>>;
  nextText(timeoutMs?: number): Promise<string>;
  waitFor(match: (f: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  waitClose(timeoutMs?: number): Promise<{ code: number; reason: string }>;
  close(): void;
  terminate(): void;
}

/**
 * Opens a connection to the endpoint at `path` (with its query) on the server
 * at `base` (`http://host:port`): a WebSocket on the path itself, or an HTTP
 * session at `<path>/sse` or `<path>/poll`.
 */
export function openWire(kind: WireKind, base: string, path: string, headers: Record<string, string> = {}): Promise<Wire> {
  const [pathname, query = ""] = path.split("?");
  const q = query ? `?${query}` : "";
  if (kind === "websocket") return TestClient.connect(`${base.replace(/^http/, "ws")}${path}`, headers);
  const url = `${base}${pathname.replace(/\/$/, "")}/${kind}${q}`;
  return kind === "sse" ? SseClient.connect(url, headers) : PollClient.connect(url, headers);
}
