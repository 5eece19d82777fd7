import type { Config } from "../../config/schema.js";
import { LocalBroker } from "./local/index.js";
import type { Broker } from "./types.js";

export async function openBroker(config: Config): Promise<Broker> {
  switch (config.broker.kind) {
    case "local":
      return new LocalBroker();
  }
}
