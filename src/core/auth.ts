import type { Identity } from "./types.js";

export interface AuthSession {
  identity: Identity;
  /** What revocation names: watch it to learn when the credential stops being valid. */
  revocationId: string;
  /** ms since epoch; null for credentials that do not expire on their own. */
  expiresAt: number | null;
  authType: "password" | "anonymous";
}

/** How dialects turn credentials into identities. */
export interface Authenticator {
  /** The identity an access token stands for, or null when it is not (or no longer) valid. */
  verify(token: string): Promise<AuthSession | null>;
  /** Whether a display name belongs to a registered account (and so needs its token). */
  isAccountName(name: string): Promise<boolean>;
}

