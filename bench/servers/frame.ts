// The raw servers' own WebSocket framing and writing: a frame is built once and
// its bytes shared; frames are queued per socket and written once per event-loop turn.
import type { Socket } from "node:net";

/** An unmasked server-to-client text frame (FIN + opcode 1) around `payload`. */
export function textFrame(payload: Buffer): Buffer {
  const n = payload.length;
  const head = n < 126 ? 2 : n < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(head + n);
  frame[0] = 0x81;
  if (n < 126) frame[1] = n;
  else if (n < 65536) {
    frame[1] = 126;
    frame.writeUInt16BE(n, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(n), 2);
  }
  payload.copy(frame, head);
  return frame;
}

export interface Peer {
  readonly socket: Socket;
  queue: Buffer[];
}

const dirty = new Set<Peer>();
let scheduled = false;

function flush(): void {
  scheduled = false;
  for (const peer of dirty) {
    const batch = peer.queue;
    peer.queue = [];
    if (batch.length === 1) peer.socket.write(batch[0]);
    else {
      peer.socket.cork();
      for (const frame of batch) peer.socket.write(frame);
      peer.socket.uncork();
    }
  }
  dirty.clear();
}

/** Queues `frame` for `peer`, written with everything else of this turn. */
export function enqueue(peer: Peer, frame: Buffer): void {
  peer.queue.push(frame);
  dirty.add(peer);
  if (!scheduled) {
    scheduled = true;
    setImmediate(flush);
  }
}

/** A closed peer is written no more. */
export function forget(peer: Peer): void {
  dirty.delete(peer);
}
