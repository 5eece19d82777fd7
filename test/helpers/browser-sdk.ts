// Every client in one module, for the browser test to bundle and load into a page.
export { InstalkClient } from "../../src/client/instalk.js";
export { anonymousToken, ReallyClient } from "../../src/client/really.js";
export { PubsubClient } from "../../src/client/pubsub.js";
export { RelayClient } from "../../src/client/relay.js";
export { FuseClient } from "../../src/client/fuse.js";
