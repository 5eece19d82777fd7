/** Anything that gathers output during a turn and writes it once at the end. */
export interface Flushable {
  flush(): void;
}

/**
 * How long a presence notice (`OutFrame.lazy`) may wait for company. Joins
 * into one room arrive spread over many turns; within a window each member
 * gets all of them in one write instead of one write per join. Short enough
 * that nobody sees the delay in a member list.
 */
export const PRESENCE_WINDOW_MS = 50;
/**
 * In a huge room a window's flush (a write to every member) takes long
 * itself; the next window is then a few times that long, so presence writes
 * never take more than about a quarter of the node's time. Capped: a notice
 * still arrives within a second.
 */
const FLUSH_SHARE = 3;
const MAX_WINDOW_MS = 1000;
let windowMs = PRESENCE_WINDOW_MS;

let dirty = new Set<Flushable>();
/** The set `dirty` is swapped with at a flush (two sets for the node, each emptied with one clear). */
let spare = new Set<Flushable>();
let scheduled = false;
const lazy = new Set<Flushable>();
let lazyTimer: NodeJS.Timeout | null = null;

function flushAll(): void {
  scheduled = false;
  // What a flush marks dirty (a callback that writes elsewhere) goes into the fresh set and is flushed in this turn too, after the rest.
  while (dirty.size > 0) {
    const batch = dirty;
    dirty = spare;
    spare = batch;
    for (const item of batch) {
      // Its lazy frames go now, with the rest (a lazy frame that came during this loop too).
      if (lazy.size > 0) lazy.delete(item);
      item.flush();
    }
    batch.clear();
  }
}

function flushLazy(): void {
  const start = performance.now();
  // Frames made lazy during the loop join it (a Set's iteration sees what is added); the next window starts after it.
  for (const item of lazy) {
    lazy.delete(item);
    item.flush();
  }
  windowMs = Math.min(MAX_WINDOW_MS, Math.max(PRESENCE_WINDOW_MS, (performance.now() - start) * FLUSH_SHARE));
  lazyTimer = null;
}

/** One write per connection per event-loop turn, however many frames the turn produced. */
export function markDirty(item: Flushable): void {
  dirty.add(item);
  if (!scheduled) {
    scheduled = true;
    setImmediate(flushAll);
  }
}

/** Written at the end of the presence window, or with the connection's next ordinary flush if that comes first. */
export function markLazy(item: Flushable): void {
  if (dirty.has(item)) return;
  lazy.add(item);
  lazyTimer ??= setTimeout(flushLazy, windowMs);
}
