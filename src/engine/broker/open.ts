import type { Config } from "../../config/schema.js";
import type { EngineObserver } from "../observer.js";
import { LocalBroker } from "./local/index.js";
import { RedisBroker } from "./redis/index.js";
import type { Broker } from "./types.js";

export { redactUrl } from "../redact.js";

export interface OpenBrokerOptions {
  /** Connection trouble and callback errors (the URL's password never appears). */
  log?: (msg: string, err?: unknown) => void;
  /** Told how long each publish took (the server's metrics); nothing by default. */
  observer?: EngineObserver;
}

/**
 * Picks the broker from `config.broker.url`: empty → in-process (one node);
 * redis:// or rediss:// → a fleet on Redis, every key under `config.broker.prefix`.
 * The broker is not started: the hub starts it.
 */
export async function openBroker(config: Config, nodeId: string, opts: OpenBrokerOptions = {}): Promise<Broker> {
  const { url, prefix } = config.broker;
  if (url === "") return new LocalBroker({ nodeId, log: opts.log, observer: opts.observer });
  if (/^rediss?:\/\//.test(url)) return new RedisBroker({ url, prefix, nodeId, log: opts.log, observer: opts.observer });
  throw new Error("broker.url must be empty (in-process) or a redis:// URL");
}
