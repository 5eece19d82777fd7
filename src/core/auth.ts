import type { Store } from "../engine/store/types.js";
import type { Identity } from "./types.js";

/** How dialects turn credentials into identities; accounts and tokens plug in here. */
export interface Authenticator {
  /** The account an access token stands for, or null when it is not (or no longer) valid. */
  verify(token: string): Promise<Identity | null>;
  /** Whether a display name belongs to a registered account (and so needs its token). */
  isAccountName(name: string): Promise<boolean>;
}

/** Until access tokens are issued, no token is valid; account names are still protected. */
export class StoreAuthenticator implements Authenticator {
  constructor(private readonly store: Store) {}

  async verify(): Promise<Identity | null> {
    return null;
  }

  async isAccountName(name: string): Promise<boolean> {
    return (await this.store.accounts.byName(name)) !== null;
  }
}
