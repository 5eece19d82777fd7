// switchboard/client/relay: the relay client (docs/clients.md).
export { createSessionKey, RelayClient, type RelayCredentials, type RelayEvents, type RelayOptions } from "./relay/client.js";
export type * from "./relay/frames.js";
export { SwitchboardError, type ClientErrorCode, type ErrorInfo } from "./common/errors.js";
export type { ConnectionState, StateChange } from "./common/connection.js";
export type { BackoffOptions } from "./common/backoff.js";
export type { WebSocketClass } from "./common/socket.js";
export { login, anonymousToken, register, type TokenReply, type AccountReply } from "./common/http.js";
