import { useEffect, useReducer } from "preact/hooks";
import type { ChatStore } from "./store.js";

/** Re-renders the component whenever the store changes. */
export function useStore(store: ChatStore): ChatStore {
  const [, bump] = useReducer((n: number) => n + 1, 0);
  useEffect(() => store.subscribe(() => bump(undefined)), [store]);
  return store;
}
