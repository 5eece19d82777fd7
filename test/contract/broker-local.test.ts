import { LocalBroker } from "../../src/engine/broker/local/index.js";
import { brokerContract } from "./broker.contract.js";

brokerContract("local", async () => {
  const broker = new LocalBroker();
  return { brokers: [broker], cleanup: () => broker.close() };
});
