import type { ServerResponse } from "node:http";
import type { OutFrame } from "../core/types.js";
import { HttpTransport, LOST, type Ending, type HttpTransportLimits } from "./http-transport.js";
import { SLOW_READER } from "./slow-reader.js";
import { StreamWriter } from "./stream-writer.js";

/** An idle stream gets a comment line this often, so proxies and browsers do not take it for dead (`transports.sseKeepAliveMs`). */
export const SSE_KEEPALIVE_MS = 20_000;

/** Each shared frame's event bytes, built once for every SSE stream it goes to (as `OutFrame.wire` is for WebSockets). */
const framed = new WeakMap<OutFrame, Buffer>();

/** `data:` lines of one event; a frame holding line breaks (JSON never does) is split over several, as SSE requires. */
function event(text: string): Buffer {
  const data = text.includes("\n") ? text.split(/\r?\n/).join("\ndata: ") : text;
  return Buffer.from(`data: ${data}\n\n`, "utf8");
}

const closeEvent = (ending: Ending) => `event: close\ndata: ${JSON.stringify(ending)}\n\n`;

function eventOf(frame: OutFrame | string): Buffer {
  if (typeof frame === "string") return event(frame);
  let bytes = framed.get(frame);
  if (!bytes) framed.set(frame, (bytes = event(frame.text)));
  return bytes;
}

/**
 * Server-Sent Events: the session is the held-open response, which starts
 * with an `open` event naming the session id; every server frame is one
 * `message` event; the end is a `close` event with the code and reason.
 * Client frames arrive as POSTs naming the session. The stream is written
 * once per turn; a reader whose response backs up past the bound is cut off.
 */
export class SseTransport extends HttpTransport {
  readonly kind = "sse" as const;
  private readonly out: StreamWriter;

  constructor(
    res: ServerResponse,
    sid: string,
    remoteAddress: string,
    limits: HttpTransportLimits,
    onEnd: (t: HttpTransport) => void,
    /** More headers for the stream's response (CORS). */
    headers: Record<string, string> = {},
  ) {
    super(sid, remoteAddress, limits, onEnd);
    res.writeHead(200, {
      ...headers,
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-cache, no-store",
      // Proxies that buffer responses (nginx) would hold the stream back.
      "X-Accel-Buffering": "no",
    });
    this.out = new StreamWriter(res, limits.wheel, limits.maxQueueBytes, limits.timings?.().sseKeepAliveMs ?? SSE_KEEPALIVE_MS, {
      keepAlive: () => this.out.write(":\n\n"),
      // The reader is told why, after what its response already holds: the close event, then the end.
      cutOff: () => {
        limits.onSlowReader(this);
        this.finish(SLOW_READER, false);
        return closeEvent(SLOW_READER);
      },
      // The client went away (or the stream broke): a lost connection, as a TCP reset is for a WebSocket.
      gone: () => this.finish({ code: LOST, reason: "" }, true),
      flushed: () => this.runAfterFlush(),
    });
    this.out.write(`event: open\ndata: ${JSON.stringify({ sid })}\n\n`);
  }

  get open(): boolean {
    return this.ending === null && this.out.open;
  }

  get backlog(): number {
    return this.out.backlog;
  }

  write(frame: OutFrame | string): void {
    if (this.open) this.out.write(eventOf(frame));
  }

  override onFlushed(fn: () => void): void {
    super.onFlushed(fn);
    if (this.afterFlush) this.out.touch();
  }

  flush(): void {
    this.out.flush();
  }

  close(code: number, reason: string): void {
    if (this.open) this.end({ code, reason });
  }

  clientClosed(): void {
    if (this.open) this.end({ code: 1000, reason: "" });
  }

  terminate(): void {
    this.out.destroy();
  }

  /** The server's own close and the client's goodbye are both clean: what is queued, then the close event. */
  private end(ending: Ending): void {
    this.out.flush();
    this.finish(ending, false);
    this.out.end(closeEvent(ending));
  }
}
