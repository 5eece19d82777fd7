// switchboard/client/pubsub: the pubsub client (docs/clients.md).
export { PubsubClient, type PubsubEvents, type PubsubOptions } from "./pubsub/client.js";
export type * from "./pubsub/frames.js";
export { SwitchboardError, type ClientErrorCode, type ErrorInfo } from "./common/errors.js";
export type { ConnectionState, StateChange } from "./common/connection.js";
export type { BackoffOptions } from "./common/backoff.js";
export type { WebSocketClass } from "./common/socket.js";
export { login, anonymousToken, register, type TokenReply, type AccountReply } from "./common/http.js";
export type { Json } from "./common/json.js";
