import { request, type ClientRequest, type IncomingMessage } from "node:http";
import { FrameQueue } from "./frame-queue.js";

/** Separates frames in a POST body and a poll answer. */
const RS = "\x1e";

/** An HTTP refusal of the request that would have opened a session (as `TestClient.connect` rejects an upgrade). */
function refused(status: number | undefined): Error {
  return Object.assign(new Error(`HTTP ${status}`), { status });
}

/**
 * What the SSE and long-poll test clients share: the session id, and frames
 * POSTed one request after another, so the server reads them in the order
 * the test sent them.
 */
abstract class HttpSessionClient extends FrameQueue {
  sid = "";
  /** Statuses of the POSTs, in order: what the server said to each. */
  readonly posts: number[] = [];
  private sending: Promise<void> = Promise.resolve();
  /** Where requests naming the session go; another node of a fleet works as well as the one that opened it. */
  target: string;

  protected constructor(
    /** `http://host:port/<endpoint>/<sse|poll>` */
    readonly url: string,
  ) {
    super();
    this.target = url;
  }

  /** The session's URL on `base` (`http://host:port`): later requests go there. */
  via(base: string): this {
    const u = new URL(this.url);
    this.target = `${base}${u.pathname}`;
    return this;
  }

  protected named(): string {
    return `${this.target}?sid=${encodeURIComponent(this.sid)}`;
  }

  send(value: unknown): void {
    this.sendMany([value]);
  }

  /** Several frames in one POST. */
  sendMany(values: unknown[]): void {
    const body = values.map((v) => (typeof v === "string" ? v : JSON.stringify(v))).join(RS);
    this.sending = this.sending.then(async () => {
      const res = await fetch(this.named(), { method: "POST", body, headers: { "content-type": "text/plain" } }).catch(() => null);
      this.posts.push(res?.status ?? 0);
      await res?.arrayBuffer().catch(() => undefined);
    });
  }

  /** Resolves once every POST so far has been answered. */
  flushed(): Promise<void> {
    return this.sending;
  }

  /** A clean goodbye (DELETE): the server closes the session with 1000. */
  close(): void {
    this.sending = this.sending.then(async () => {
      const res = await fetch(this.named(), { method: "DELETE" }).catch(() => null);
      await res?.arrayBuffer().catch(() => undefined);
    });
  }

  abstract terminate(): void;
}

/** Server-Sent Events down, POSTs up. */
export class SseClient extends HttpSessionClient {
  private req: ClientRequest | null = null;
  private buffer = "";

  private constructor(url: string) {
    super(url);
  }

  /** `url`: the endpoint's `/sse` URL, with the dialect's own query (token, key). */
  static connect(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    const c = new SseClient(url);
    const base = url.split("?")[0];
    return new Promise((resolve, reject) => {
      const req = request(url, { headers: { accept: "text/event-stream", ...headers } }, (res: IncomingMessage) => {
        if (res.statusCode !== 200) {
          res.resume();
          return reject(refused(res.statusCode));
        }
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => c.take(chunk, base, resolve));
        res.on("end", () => c.ended(1006, ""));
        res.on("error", () => c.ended(1006, ""));
      });
      req.on("error", (err) => (c.sid ? c.ended(1006, "") : reject(err)));
      req.end();
      c.req = req;
    });
  }

  private take(chunk: string, base: string, opened: (c: SseClient) => void): void {
    this.buffer += chunk;
    for (let end = this.buffer.indexOf("\n\n"); end !== -1; end = this.buffer.indexOf("\n\n")) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      let type = "message";
      const data: string[] = [];
      for (const line of block.split("\n")) {
        if (line.startsWith(":")) continue;
        if (line.startsWith("event: ")) type = line.slice(7);
        else if (line.startsWith("data: ")) data.push(line.slice(6));
      }
      if (data.length === 0) continue;
      const text = data.join("\n");
      if (type === "open") {
        this.sid = (JSON.parse(text) as { sid: string }).sid;
        this.target = base;
        opened(this);
      } else if (type === "close") {
        const { code, reason } = JSON.parse(text) as { code: number; reason: string };
        this.ended(code, reason);
      } else this.received(text);
    }
  }

  /** Drops the stream, as a lost connection would. */
  terminate(): void {
    this.req?.destroy();
  }
}

/** Long-polling: one GET held at a time, POSTs up. */
export class PollClient extends HttpSessionClient {
  private stopped = false;
  private abort = new AbortController();

  private constructor(url: string) {
    super(url);
  }

  /** `url`: the endpoint's `/poll` URL, with the dialect's own query (token, key). */
  static async connect(url: string, headers: Record<string, string> = {}): Promise<PollClient> {
    const res = await fetch(url, { headers });
    if (res.status !== 200) {
      await res.arrayBuffer();
      throw refused(res.status);
    }
    const c = new PollClient(url.split("?")[0]);
    c.sid = ((await res.json()) as { sid: string }).sid;
    void c.loop();
    return c;
  }

  private async loop(): Promise<void> {
    while (!this.stopped && !this.closed) {
      const res = await fetch(this.named(), { signal: this.abort.signal }).catch(() => null);
      if (!res) {
        if (!this.stopped) this.ended(1006, "");
        return;
      }
      if (res.status === 200) {
        for (const frame of (await res.text()).split(RS)) this.received(frame);
      } else if (res.status === 204) {
        await res.arrayBuffer();
      } else if (res.status === 410) {
        const { close } = (await res.json()) as { close: { code: number; reason: string } };
        this.ended(close.code, close.reason);
      } else {
        await res.arrayBuffer();
        this.ended(1006, `HTTP ${res.status}`);
      }
    }
  }

  /** Stops polling (the server notices only when the session's poll deadline passes). */
  terminate(): void {
    this.stopped = true;
    this.abort.abort();
    this.ended(1006, "");
  }
}
