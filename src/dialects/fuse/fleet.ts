import { FleetWire } from "../../connection/fleet-wire.js";
import type { Fuse } from "./context.js";

export { ANSWER_MS, WORK_MS, type Handler, type Reply } from "../../connection/fleet-wire.js";
export type { FleetWire };

/** Each node listens here for requests about its fuse HTTP sessions, and for the answers to its own requests. */
export const nodeChannel = (node: string) => `sys:fuse-node:${node}`;

/** The fleet wire of fuse's HTTP sessions (push and pull on another node than the session's). */
export const fuseWire = (f: Fuse): FleetWire => new FleetWire(f.ctx.core, f.ctx.log, nodeChannel, "fuse");
