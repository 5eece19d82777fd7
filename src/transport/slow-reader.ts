/**
 * How a reader that fell too far behind is told so (the WebSocket close, an
 * SSE `close` event, a poll session's 410): 1008 is "policy violation", the
 * code every dialect already uses for a client that broke the server's limits.
 */
export const SLOW_READER = { code: 1008, reason: "slow reader" } as const;

/**
 * Bytes handed to a socket (or a held-open response) beyond which a
 * transport keeps later frames in its own queue. What the kernel has not
 * taken stays small, so when a reader is cut off its queue is dropped and
 * the close that says why is at most this far behind.
 */
export const WRITE_AHEAD_BYTES = 128 * 1024;

/** How long a reader cut off for being slow has to take the close that says why, before its connection is dropped. */
export const SLOW_READER_CLOSE_MS = 5000;
