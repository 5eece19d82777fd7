/**
 * Memoizes a schema builder by its numeric limit. zod schemas are costly to
 * build (tens of KiB, microseconds) and free to reuse, so they are made once
 * per configured limit rather than per connection or per request.
 */
export function perLimit<T>(build: (limit: number) => T): (limit: number) => T {
  const built = new Map<number, T>();
  return (limit) => {
    let value = built.get(limit);
    if (value === undefined) built.set(limit, (value = build(limit)));
    return value;
  };
}
