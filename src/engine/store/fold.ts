/**
 * The folded form account-name and mail uniqueness and lookups use, in every
 * store: NFC so composed and decomposed spellings collide, then lower case
 * (beyond ASCII, which a database's NOCASE/ILIKE would not promise).
 */
export function fold(text: string): string {
  return text.normalize("NFC").toLowerCase();
}
