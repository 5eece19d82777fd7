/** Anything that gathers output during a turn and writes it once at the end. */
export interface Flushable {
  flush(): void;
}

const dirty = new Set<Flushable>();
let scheduled = false;

function flushAll(): void {
  scheduled = false;
  for (const item of dirty) {
    dirty.delete(item);
    item.flush();
  }
}

/** One write per connection per event-loop turn, however many frames the turn produced. */
export function markDirty(item: Flushable): void {
  dirty.add(item);
  if (!scheduled) {
    scheduled = true;
    setImmediate(flushAll);
  }
}
