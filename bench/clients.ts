import { WebSocket } from "ws";

export type Role = "pub" | "sub";

const CONNECT_TIMEOUT_MS = 15_000;
/** Connections opened at once: enough to be quick, few enough not to overrun the listen backlog. */
const PARALLEL = 100;

/** Opens one raw `ws` client; UTF-8 checks are off because the clients only count frames. */
export function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, skipUTF8Validation: true, maxPayload: 64 * 1024 * 1024 });
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`connect to ${url} timed out`));
    }, CONNECT_TIMEOUT_MS);
    ws.once("open", () => {
      clearTimeout(timer);
      resolve(ws);
    });
    ws.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/**
 * Sends `frame` (if any) and resolves with the first inbound frame `match`
 * accepts; the listener is gone afterwards, so counting listeners see nothing of it.
 */
export function exchange(ws: WebSocket, frame: string | null, match: (text: string) => boolean, timeoutMs = 15_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const onMessage = (data: Buffer) => {
      const text = data.toString("utf8");
      if (!match(text)) return;
      done();
      resolve(text);
    };
    const onClose = (code: number) => {
      done();
      reject(new Error(`socket closed (${code}) during the handshake`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error("handshake timed out"));
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      ws.off("message", onMessage);
      ws.off("close", onClose);
    };
    ws.on("message", onMessage);
    ws.on("close", onClose);
    if (frame !== null) ws.send(frame);
  });
}

/** Runs `make(i)` for i in [0, count) with at most PARALLEL in flight; results in index order. */
export async function inParallel<T>(count: number, make: (i: number) => Promise<T>): Promise<T[]> {
  const out = new Array<T>(count);
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const i = next++;
      out[i] = await make(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, count) }, lane));
  return out;
}

/** Drops every client at once; a benchmark has no use for a polite close. */
export function closeAll(clients: WebSocket[]): void {
  for (const ws of clients) ws.terminate();
}
