import { useEffect, useRef, useState } from "preact/hooks";
import { api, openStream, type StreamState } from "./api.js";
import type { StreamEvent } from "./types.js";

/** Opens the live stream with these parameters (again whenever they change) and hands each event to `onEvent`. */
export function useStream(params: Record<string, string> | null, onEvent: (e: StreamEvent) => void): StreamState {
  const [state, setState] = useState<StreamState>("connecting");
  const handler = useRef(onEvent);
  handler.current = onEvent;
  const key = params === null ? null : JSON.stringify(params);
  useEffect(() => {
    if (params === null) return;
    return openStream(params, (e) => handler.current(e), setState);
  }, [key]);
  return state;
}

/** A GET that runs when `path` changes; `reload` runs it again. */
export function useFetch<T>(path: string | null): { data: T | null; error: string | null; reload: () => void } {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [round, setRound] = useState(0);
  useEffect(() => {
    if (path === null) return;
    let live = true;
    api<T>("GET", path).then(
      (d) => live && (setData(d), setError(null)),
      (e: Error) => live && setError(e.message),
    );
    return () => {
      live = false;
    };
  }, [path, round]);
  return { data, error, reload: () => setRound((r) => r + 1) };
}
