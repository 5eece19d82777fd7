/**
 * A connection URL (database, broker) fit for logs and error messages: the password (in the
 * user-info part or as a `password` query parameter) becomes `***`. Text that
 * does not parse as a URL is withheld whole, since where its secret sits is
 * unknown.
 */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "(unparseable database URL)";
  }
  if (parsed.password !== "") parsed.password = "***";
  for (const key of [...parsed.searchParams.keys()]) {
    if (key.toLowerCase() === "password") parsed.searchParams.set(key, "***");
  }
  return parsed.toString();
}
