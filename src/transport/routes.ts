import type { IncomingMessage, ServerResponse } from "node:http";
import type { Transport, TransportKind } from "./transport.js";

export interface HttpRefusal {
  status: number;
  headers?: Record<string, string>;
  body: string;
}

/**
 * Where clients connect to a dialect: a WebSocket upgrade on the endpoint's
 * path and, unless `transports` says otherwise, the HTTP transports under it
 * (`<path>/sse`, `<path>/poll`). Whatever carries the client, the dialect gets
 * a `Transport`.
 */
export interface EndpointRoute {
  kind: "endpoint";
  /** Matches the endpoint's own path (the WebSocket one); the HTTP transports add their suffix to it. */
  match(path: string): boolean;
  /** Which transports serve this endpoint; all three when absent. */
  transports?: readonly TransportKind[];
  /**
   * Checked before a client gets a connection (an upgrade, or the request that
   * opens an HTTP session): a refusal answers with plain HTTP instead. `url` is
   * the endpoint's, whatever transport was asked for.
   */
  refuse?(req: IncomingMessage, url: URL): HttpRefusal | null | Promise<HttpRefusal | null>;
  accept(transport: Transport, req: IncomingMessage, url: URL): void;
}

export interface HttpRoute {
  kind: "http";
  match(path: string): boolean;
  handle(req: IncomingMessage, res: ServerResponse, url: URL): void | Promise<void>;
}

export type Route = EndpointRoute | HttpRoute;

/** A route and who it belongs to ("instalk", "api"): the label on its connection metrics and logs. */
export interface OwnedRoute {
  owner: string;
  route: Route;
}
