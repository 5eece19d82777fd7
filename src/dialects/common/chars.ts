/**
 * Whether `s` holds `min`..`max` characters (code points, as the protocols
 * count them). The UTF-16 length bounds the count from both sides (a code
 * point is one or two units), so most texts are decided without counting,
 * and none by copying the string into an array of characters.
 */
export function charsWithin(s: string, min: number, max: number): boolean {
  if (s.length < min || Math.ceil(s.length / 2) > max) return false;
  if (s.length <= max && Math.ceil(s.length / 2) >= min) return true;
  let count = 0;
  for (let i = 0; i < s.length; i++) {
    const unit = s.charCodeAt(i);
    // A high surrogate followed by a low one is one character.
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < s.length) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    if (++count > max) return false;
  }
  return count >= min;
}
