// switchboard/client/fuse: the fuse game-lobby client (docs/clients.md).
export { FuseClient, fusePass, registerFuse, type FuseEvents, type FuseOptions } from "./fuse/client.js";
export type { FetchResponse, StreamingFetch } from "./fuse/http-transport.js";
export type { Broadcast, Command } from "./fuse/lines.js";
export { md5 } from "./common/md5.js";
export { SwitchboardError, type ClientErrorCode, type ErrorInfo } from "./common/errors.js";
export type { ConnectionState, StateChange } from "./common/connection.js";
export type { BackoffOptions } from "./common/backoff.js";
export type { WebSocketClass } from "./common/socket.js";
