/**
 * Whether an object already holds everything we would apply: every field of `desired` is present
 * in `actual` with an equal value. Fields the apiserver adds (defaults, status, metadata it owns)
 * do not count, so a steady state needs no write. Lists must match element by element, since a
 * longer list is a real difference.
 */
export function containsDesired(desired: unknown, actual: unknown): boolean {
  if (desired === actual) return true;
  if (Array.isArray(desired)) {
    return (
      Array.isArray(actual) &&
      desired.length === actual.length &&
      desired.every((item, i) => containsDesired(item, actual[i]))
    );
  }
  if (isRecord(desired)) {
    if (!isRecord(actual)) return false;
    return Object.entries(desired).every(([key, value]) =>
      value === undefined ? !(key in actual) : containsDesired(value, actual[key]),
    );
  }
  return false;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Keys of `actual` under `prefix` that `desired` lacks: labels the operator owns (group labels)
 * that must be removed, which a subset check alone would not notice.
 */
export function staleKeys(
  desired: Readonly<Record<string, string>> | undefined,
  actual: Readonly<Record<string, string>> | undefined,
  prefix: string,
): string[] {
  return Object.keys(actual ?? {}).filter(
    (key) => key.startsWith(prefix) && !(key in (desired ?? {})),
  );
}
