// A minimal WebSocket client for the join and latency scenarios: where
// thousands of clients receive an O(n²) stream of join notices, or a million
// frames a second, the `ws` client's per-frame work (unmasking checks, a Buffer
// and an event per frame, UTF-8 handling) would make the clients the
// bottleneck. This one walks frame headers in place, counts data frames, and
// looks at the first bytes of a frame only while a handshake waits for one.
// It speaks just enough of RFC 6455 for a benchmark over loopback: no
// extensions, no fragmentation, no check of Sec-WebSocket-Accept.
import { randomBytes } from "node:crypto";
import { connect, type Socket } from "node:net";

/** Bytes of a frame's payload kept for a handshake's `until` (room-welcome's prefix is `{"r":"<64 chars>","o":"room-welcome"`). */
const PREFIX = 128;
const CRLF2 = Buffer.from("\r\n\r\n");

export class RawClient {
  /** Data (text/binary) frames received since the upgrade. */
  frames = 0;
  closed = false;
  private readonly hdr = Buffer.alloc(14);
  private hdrHave = 0;
  private hdrNeed = 2;
  private inPayload = false;
  private remaining = 0;
  private opcode = 0;
  private readonly prefix = Buffer.alloc(PREFIX);
  private prefixLen = 0;
  private watch: ((prefix: Buffer) => void) | null = null;
  private onClose: (() => void) | null = null;

  private constructor(private readonly socket: Socket) {
    socket.on("close", () => {
      this.closed = true;
      this.onClose?.();
    });
  }

  /** Opens `ws://127.0.0.1:<port><path>` and resolves once the server answered 101. */
  static open(port: number, path: string, timeoutMs: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, "127.0.0.1");
      socket.setNoDelay(true);
      let head: Buffer = Buffer.alloc(0);
      const timer = setTimeout(() => fail(new Error(`upgrade of ${path} timed out after ${timeoutMs} ms`)), timeoutMs);
      const fail = (err: Error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(err);
      };
      const onData = (chunk: Buffer) => {
        head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
        const end = head.indexOf(CRLF2);
        if (end < 0) {
          if (head.length > 16_384) fail(new Error("upgrade answer too long"));
          return;
        }
        const status = head.subarray(0, head.indexOf("\r\n")).toString("latin1");
        if (!/^HTTP\/1\.1 101 /.test(status)) return fail(new Error(`upgrade refused: ${status}`));
        clearTimeout(timer);
        socket.off("data", onData);
        socket.off("error", fail);
        socket.on("error", () => undefined); // a reset during teardown is not a result
        const client = new RawClient(socket);
        socket.on("data", (c: Buffer) => client.feed(c));
        const rest = head.subarray(end + 4);
        if (rest.length > 0) client.feed(rest);
        resolve(client);
      };
      socket.on("data", onData);
      socket.once("error", fail);
      socket.once("connect", () => {
        const key = randomBytes(16).toString("base64");
        socket.write(
          `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
            `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        );
      });
    });
  }

  /** Sends one masked text frame. */
  send(text: string): void {
    const payload = Buffer.from(text, "utf8");
    const n = payload.length;
    const head = n < 126 ? 2 : n < 65_536 ? 4 : 10;
    const frame = Buffer.allocUnsafe(head + 4 + n);
    frame[0] = 0x81;
    if (n < 126) frame[1] = 0x80 | n;
    else if (n < 65_536) {
      frame[1] = 0x80 | 126;
      frame.writeUInt16BE(n, 2);
    } else {
      frame[1] = 0x80 | 127;
      frame.writeBigUInt64BE(BigInt(n), 2);
    }
    const mask = (Math.random() * 0x1_0000_0000) >>> 0;
    frame.writeUInt32BE(mask, head);
    const m = [mask >>> 24, (mask >>> 16) & 0xff, (mask >>> 8) & 0xff, mask & 0xff];
    for (let i = 0; i < n; i++) frame[head + 4 + i] = payload[i] ^ m[i & 3];
    this.socket.write(frame);
  }

  /**
   * Sends `text` (if any) and resolves at the first data frame whose first
   * bytes contain `marker`; rejects on close or after `timeoutMs`.
   */
  until(text: string | null, marker: string, timeoutMs: number): Promise<void> {
    const want = Buffer.from(marker);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`no ${marker} within ${timeoutMs} ms`)), timeoutMs);
      const finish = (err: Error | null) => {
        clearTimeout(timer);
        this.watch = null;
        this.onClose = null;
        if (err) reject(err);
        else resolve();
      };
      this.watch = (prefix) => {
        if (prefix.includes(want)) finish(null);
      };
      this.onClose = () => finish(new Error(`socket closed while waiting for ${marker}`));
      if (this.closed) return finish(new Error(`socket closed before ${marker}`));
      if (text !== null) this.send(text);
    });
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** Walks the frames in `chunk`: headers are parsed in place, payloads skipped (their first bytes kept while a handshake watches). */
  private feed(chunk: Buffer): void {
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      if (!this.inPayload) {
        // Fast path: a whole header in this chunk and none pending from the last one.
        if (this.hdrHave === 0 && n - i >= 2) {
          const b1 = chunk[i + 1];
          const len7 = b1 & 0x7f;
          const hlen = 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + (b1 & 0x80 ? 4 : 0);
          if (n - i >= hlen) {
            this.opcode = chunk[i] & 0x0f;
            this.remaining = len7 === 126 ? chunk.readUInt16BE(i + 2) : len7 === 127 ? Number(chunk.readBigUInt64BE(i + 2)) : len7;
            i += hlen;
            this.startPayload();
            continue;
          }
        }
        const take = Math.min(this.hdrNeed - this.hdrHave, n - i);
        chunk.copy(this.hdr, this.hdrHave, i, i + take);
        this.hdrHave += take;
        i += take;
        if (this.hdrHave < this.hdrNeed) break;
        const len7 = this.hdr[1] & 0x7f;
        if (this.hdrNeed === 2) {
          this.hdrNeed = 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + (this.hdr[1] & 0x80 ? 4 : 0);
          if (this.hdrNeed > 2) continue;
        }
        this.opcode = this.hdr[0] & 0x0f;
        this.remaining = len7 === 126 ? this.hdr.readUInt16BE(2) : len7 === 127 ? Number(this.hdr.readBigUInt64BE(2)) : len7;
        this.hdrHave = 0;
        this.hdrNeed = 2;
        this.startPayload();
        continue;
      }
      const take = Math.min(this.remaining, n - i);
      if (this.watch !== null && this.prefixLen < PREFIX) {
        const p = Math.min(take, PREFIX - this.prefixLen);
        chunk.copy(this.prefix, this.prefixLen, i, i + p);
        this.prefixLen += p;
      }
      i += take;
      this.remaining -= take;
      if (this.remaining === 0) this.endFrame();
    }
  }

  private startPayload(): void {
    this.prefixLen = 0;
    if (this.remaining === 0) this.endFrame();
    else this.inPayload = true;
  }

  private endFrame(): void {
    this.inPayload = false;
    const op = this.opcode;
    if (op === 0x1 || op === 0x2 || op === 0x0) {
      this.frames++;
      this.watch?.(this.prefix.subarray(0, this.prefixLen));
    } else if (op === 0x9) {
      // A ping: answer with an empty pong (no server here sends payloads with its pings).
      this.socket.write(Buffer.from([0x8a, 0x80, 0, 0, 0, 0]));
    }
  }
}
