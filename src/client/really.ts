// switchboard/client/really: the really client (docs/clients.md).
export { ReallyClient, type ReallyEvents, type ReallyOptions } from "./really/client.js";
export { applyUpdate } from "./really/apply.js";
export type * from "./really/frames.js";
export { SwitchboardError, type ClientErrorCode, type ErrorInfo } from "./common/errors.js";
export type { ConnectionState, StateChange } from "./common/connection.js";
export type { BackoffOptions } from "./common/backoff.js";
export type { WebSocketClass } from "./common/socket.js";
export { login, anonymousToken, register, type TokenReply, type AccountReply } from "./common/http.js";
export type { Json, JsonObject } from "./common/json.js";
