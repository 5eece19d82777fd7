import { WebSocket } from "ws";
import { FrameQueue } from "./frame-queue.js";

/**
 * A WebSocket client for tests: every inbound text frame is queued, and
 * `next`/`waitFor` take frames in arrival order with a timeout, so a test
 * fails (rather than hangs) when an expected frame never comes.
 */
export class TestClient extends FrameQueue {
  private constructor(readonly ws: WebSocket) {
    super();
    ws.on("message", (data: Buffer) => this.received(data.toString("utf8")));
    ws.on("close", (code: number, reason: Buffer) => this.ended(code, reason.toString()));
    ws.on("error", () => undefined);
  }

  static async connect(url: string, headers: Record<string, string> = {}): Promise<TestClient> {
    const ws = new WebSocket(url, { headers });
    const client = new TestClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("unexpected-response", (_req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })));
      ws.once("error", reject);
    });
    return client;
  }

  send(value: unknown): void {
    this.ws.send(typeof value === "string" ? value : JSON.stringify(value));
  }

  /** Resolves true if no frame arrives within `ms`. */
  async silentFor(ms: number): Promise<boolean> {
    await new Promise((r) => setTimeout(r, ms));
    return this.frames.length === 0;
  }

  close(): void {
    this.ws.close();
  }

  terminate(): void {
    this.ws.terminate();
  }
}
