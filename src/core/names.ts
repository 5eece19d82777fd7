/**
 * Free (account-less) display names claimed by live sessions: a name is the
 * claimant's until that session ends. Keys are case-insensitive.
 */
export class NameClaims {
  private readonly owners = new Map<string, string>();

  claim(name: string, owner: string): boolean {
    const key = name.toLowerCase();
    const current = this.owners.get(key);
    if (current !== undefined && current !== owner) return false;
    this.owners.set(key, owner);
    return true;
  }

  release(name: string, owner: string): void {
    const key = name.toLowerCase();
    if (this.owners.get(key) === owner) this.owners.delete(key);
  }
}
