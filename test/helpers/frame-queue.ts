/**
 * Inbound frames of one test connection, whatever carries them: queued in
 * arrival order and taken with a timeout, so a test fails (rather than hangs)
 * when an expected frame or close never comes.
 */
export class FrameQueue {
  readonly frames: string[] = [];
  closed: { code: number; reason: string } | null = null;
  private waiters: Array<() => void> = [];
  private closeWaiters: Array<() => void> = [];

  /** The transport got a frame. */
  protected received(text: string): void {
    this.frames.push(text);
    this.wake();
  }

  /** The transport ended (once). */
  protected ended(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = { code, reason };
    this.wake();
    for (const w of this.closeWaiters.splice(0)) w();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** The next frame, parsed. */
  async next(timeoutMs = 3000): Promise<Record<string, unknown>> {
    return JSON.parse(await this.nextText(timeoutMs)) as Record<string, unknown>;
  }

  async nextText(timeoutMs = 3000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames.length === 0) {
      if (this.closed) throw new Error(`socket closed (${this.closed.code}) while waiting for a frame`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error("timed out waiting for a frame");
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.frames.shift()!;
  }

  /** Skips frames until one satisfies `match`; the skipped ones are dropped. */
  async waitFor(match: (f: Record<string, unknown>) => boolean, timeoutMs = 3000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const frame = await this.next(Math.max(1, deadline - Date.now()));
      if (match(frame)) return frame;
    }
  }

  async waitClose(timeoutMs = 3000): Promise<{ code: number; reason: string }> {
    if (this.closed) return this.closed;
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error("timed out waiting for close")), timeoutMs);
      this.closeWaiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
    return this.closed!;
  }
}
