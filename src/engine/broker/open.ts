import type { Config } from "../../config/schema.js";
import { LocalBroker } from "./local/index.js";
import { RedisBroker } from "./redis/index.js";
import type { Broker } from "./types.js";

export { redactUrl } from "../redact.js";

export interface OpenBrokerOptions {
  /** Connection trouble and callback errors (the URL's password never appears). */
  log?: (msg: string, err?: unknown) => void;
}

/**
 * Picks the broker from `config.broker.url`: empty → in-process (one node);
 * redis:// or rediss:// → a fleet on Redis, every key under `config.broker.prefix`.
 * The broker is not started: the hub starts it.
 */
export async function openBroker(config: Config, nodeId: string, opts: OpenBrokerOptions = {}): Promise<Broker> {
  const { url, prefix } = config.broker;
  if (url === "") return new LocalBroker({ nodeId, log: opts.log });
  if (/^rediss?:\/\//.test(url)) return new RedisBroker({ url, prefix, nodeId, log: opts.log });
  throw new Error("broker.url must be empty (in-process) or a redis:// URL");
}
