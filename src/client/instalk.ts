// switchboard/client/instalk: the instalk chat client (docs/clients.md).
export { InstalkClient, type InstalkEvents, type InstalkOptions, type PresenceChange, type RoomEvent } from "./instalk/client.js";
export type * from "./instalk/frames.js";
export type { SyncPage } from "./instalk/room-log.js";
export { SwitchboardError, type ClientErrorCode, type ErrorInfo } from "./common/errors.js";
export type { ConnectionState, StateChange } from "./common/connection.js";
export type { BackoffOptions } from "./common/backoff.js";
export type { WebSocketClass } from "./common/socket.js";
export { login, anonymousToken, register, type TokenReply, type AccountReply } from "./common/http.js";
export type { Json } from "./common/json.js";
