import { LocalBroker, LocalNetwork } from "../../src/engine/broker/local/index.js";
import { brokerContract } from "./broker.contract.js";

// Two in-process nodes sharing one network: the multi-node cases run here too.
brokerContract("local", async () => {
  const network = new LocalNetwork();
  const brokers = [new LocalBroker({ network }), new LocalBroker({ network })];
  return { brokers, cleanup: async () => void (await Promise.all(brokers.map((b) => b.close()))) };
});
