import type { LobbyMember } from "./types.js";

/** This node's lobby members, by connection and by user: whom a control event is about. */
export class LocalMembers {
  private readonly byConn = new Map<string, LobbyMember>();
  private readonly byUser = new Map<string, Set<LobbyMember>>();

  add(m: LobbyMember): void {
    this.byConn.set(m.connId, m);
    let set = this.byUser.get(m.user.id);
    if (!set) this.byUser.set(m.user.id, (set = new Set()));
    set.add(m);
  }

  /** False when the member was not (or no longer) here. */
  remove(m: LobbyMember): boolean {
    if (!this.byConn.delete(m.connId)) return false;
    const set = this.byUser.get(m.user.id);
    set?.delete(m);
    if (set?.size === 0) this.byUser.delete(m.user.id);
    return true;
  }

  has(m: LobbyMember): boolean {
    return this.byConn.has(m.connId);
  }

  get(connId: string): LobbyMember | undefined {
    return this.byConn.get(connId);
  }

  ofUser(userId: string): LobbyMember[] {
    return [...(this.byUser.get(userId) ?? [])];
  }
}
