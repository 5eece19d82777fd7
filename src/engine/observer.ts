/**
 * What the engine reports about its own work, for whoever measures it. The
 * engine knows nothing of metrics (nothing here imports upward): the server
 * hands an observer to `openStore` and `openBroker` and turns the numbers into
 * its histograms. Every method is optional and called on the hot path, after
 * the work it describes is done: it must be cheap and must not throw.
 */
export interface EngineObserver {
  /** A group commit succeeded: how long the transaction took (ms, retries included) and how many writes it carried. */
  commit?(ms: number, batchSize: number): void;
  /** The broker took a publish: how long handing it over took (ms). */
  publish?(ms: number): void;
}

/** Milliseconds since `start` (a `performance.now()` reading): monotonic, unaffected by clock changes. */
export const since = (start: number): number => performance.now() - start;
