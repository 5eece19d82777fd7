import { docChannels, type Doc } from "../../core/documents/documents.js";
import type { CoreEvent } from "../../core/types.js";
import type { Caller } from "./caller.js";
import { docSnapshot, reallyRenderer } from "./render.js";
import { rOf } from "./resource.js";

const revOf = (e: CoreEvent) => (typeof e.data.rev === "number" ? e.data.rev : Number.POSITIVE_INFINITY);

/**
 * `subscribe` with the revision the client has (the original protocol's
 * `rev`): first the `updated` events it missed, in order, while the store
 * still holds them, or else one `snapshot` of the whole object; then the live
 * changes after that revision — none twice, none lost. `load` reads the
 * document (and refuses what the caller may not read).
 */
export async function followFrom(caller: Caller, collection: string, id: string, rev: number, load: () => Promise<Doc>): Promise<void> {
  await load();
  const channel = docChannels.doc(collection, id);
  // Live changes wait here while the catch-up is read; afterwards only later revisions pass.
  let early: CoreEvent[] | null = [];
  let floor = Number.POSITIVE_INFINITY;
  const accepts = (e: CoreEvent): boolean => {
    if (early === null) return revOf(e) > floor;
    early.push(e);
    return false;
  };
  const attachment = await caller.follows.follow(channel, false, accepts);
  attachment.release(0);
  const frames: Array<string | null> = [];
  try {
    // Read again now that changes are followed: whatever came before is in this revision.
    const doc = await load();
    floor = doc.rev;
    if (doc.rev > rev) {
      const missed = await caller.core.documents.changesSince(collection, id, rev, doc.rev);
      if (missed) for (const e of missed) frames.push(reallyRenderer.render(e));
      else frames.push(JSON.stringify({ evt: "snapshot", r: rOf.doc(collection, id), rev: doc.rev, body: docSnapshot(doc) }));
    }
  } catch (err) {
    caller.follows.unfollow(channel);
    throw err;
  } finally {
    const waiting = early;
    early = null;
    const later = waiting.filter((e) => revOf(e) > floor).map((e) => reallyRenderer.render(e));
    for (const text of [...frames, ...later]) if (text !== null) caller.push(text);
  }
}
