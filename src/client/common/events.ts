// A small typed event emitter that works the same in browsers and Node: the
// clients' pushes (messages, presence, state changes) are its events.

import { SwitchboardError } from "./errors.js";

export type Listener<T> = (value: T) => void;

export interface WaitOptions<T> {
  /** Only a value for which this holds resolves the wait. */
  filter?: (value: T) => boolean;
  /** Rejects after this long (default: 10 s). */
  timeoutMs?: number;
}

export class Emitter<Events extends object> {
  private readonly listeners = new Map<keyof Events, Set<Listener<never>>>();

  /** Calls `fn` for every `name` event; returns the function that stops it. */
  on<K extends keyof Events>(name: K, fn: Listener<Events[K]>): () => void {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    set.add(fn as Listener<never>);
    return () => this.off(name, fn);
  }

  once<K extends keyof Events>(name: K, fn: Listener<Events[K]>): () => void {
    const off = this.on(name, (value) => {
      off();
      fn(value);
    });
    return off;
  }

  off<K extends keyof Events>(name: K, fn: Listener<Events[K]>): void {
    this.listeners.get(name)?.delete(fn as Listener<never>);
  }

  /** The next `name` event (that passes `filter`), or a rejection after `timeoutMs`. */
  next<K extends keyof Events>(name: K, opts: WaitOptions<Events[K]> = {}): Promise<Events[K]> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new SwitchboardError("request.timeout", `timed out waiting for "${String(name)}"`));
      }, opts.timeoutMs ?? 10_000);
      const off = this.on(name, (value) => {
        if (opts.filter && !opts.filter(value)) return;
        off();
        clearTimeout(timer);
        resolve(value);
      });
    });
  }

  /**
   * A throwing listener must not leave the client half-way through a frame
   * (a message delivered but its nr not recorded), so its error is rethrown
   * on its own turn, where the host reports it as uncaught.
   */
  protected emit<K extends keyof Events>(name: K, value: Events[K]): void {
    const set = this.listeners.get(name);
    if (!set) return;
    for (const fn of [...set]) {
      try {
        (fn as Listener<Events[K]>)(value);
      } catch (err) {
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }
}
