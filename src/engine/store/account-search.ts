import { fold } from "./fold.js";

/**
 * Most accounts one AccountStore.list call returns, whatever it asks: a
 * search walks the name order until the page is full, so an unbounded page
 * would be an unbounded scan.
 */
export const ACCOUNT_PAGE_MAX = 1000;

export function accountPageSize(limit: number): number {
  return Number.isFinite(limit) ? Math.min(ACCOUNT_PAGE_MAX, Math.max(0, Math.trunc(limit))) : 0;
}

/**
 * The LIKE pattern (for `ESCAPE '\'`) matching a folded column that contains
 * `search`: folded like the stored keys, its wildcards escaped so that an
 * operator's "a_b" means those three characters.
 */
export function containsPattern(search: string): string {
  return `%${fold(search).replace(/[\\%_]/g, "\\$&")}%`;
}
