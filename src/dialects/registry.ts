import type { DialectFactory } from "./types.js";
import { fuse } from "./fuse/index.js";
import { instalk } from "./instalk/index.js";
import { pubsub } from "./pubsub/index.js";
import { really } from "./really/index.js";
import { relay } from "./relay/index.js";

/** Every dialect the server speaks. A new dialect is a new folder and one line here. */
export const dialects: DialectFactory[] = [fuse, instalk, pubsub, really, relay];
