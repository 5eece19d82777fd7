/** Thrown when too many password hashes are already running or waiting: answer "busy", not wait. */
export class BusyError extends Error {
  constructor() {
    super("too many password checks in progress");
  }
}

/**
 * Bounds concurrent scrypt work (32 MiB and ~90 ms each). Without it a flood
 * of registrations or logins queues on libuv's pool and every legitimate
 * login waits behind it; with it the flood is refused at once.
 */
export class HashGate {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly concurrency: number,
    private readonly maxWaiting: number,
  ) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.maxWaiting) throw new BusyError();
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    this.running++;
    try {
      return await work();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }
}
