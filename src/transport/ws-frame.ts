import * as ws from "ws";

interface FrameOptions {
  fin: boolean;
  rsv1: boolean;
  opcode: number;
  mask: boolean;
  readOnly: boolean;
}

// `Sender.frame` is ws's own framing routine; its typings leave it out.
const { Sender } = ws as unknown as { Sender: { frame(data: Buffer, o: FrameOptions): Buffer[] } };

/** A complete unmasked server-to-client text frame, built once and written to many sockets. */
export function textFrame(text: string): Buffer {
  const parts = Sender.frame(Buffer.from(text, "utf8"), { fin: true, rsv1: false, opcode: 1, mask: false, readOnly: true });
  return parts.length === 1 ? parts[0] : Buffer.concat(parts);
}
