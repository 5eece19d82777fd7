import type { IncomingMessage, ServerResponse } from "node:http";
import type { WsConnection } from "./ws-connection.js";

export interface HttpRefusal {
  status: number;
  headers?: Record<string, string>;
  body: string;
}

export interface WsRoute {
  kind: "ws";
  match(path: string): boolean;
  /** A refusal answers the upgrade request with plain HTTP instead of a WebSocket. */
  refuse?(req: IncomingMessage, url: URL): HttpRefusal | null | Promise<HttpRefusal | null>;
  accept(conn: WsConnection, req: IncomingMessage, url: URL): void;
}

export interface HttpRoute {
  kind: "http";
  match(path: string): boolean;
  handle(req: IncomingMessage, res: ServerResponse, url: URL): void | Promise<void>;
}

export type Route = WsRoute | HttpRoute;

/** A route and who it belongs to ("instalk", "api"): the label on its connection metrics and logs. */
export interface OwnedRoute {
  owner: string;
  route: Route;
}
