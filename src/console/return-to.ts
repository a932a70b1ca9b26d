// Where the console sends a person after single sign-on. Only a path on the console itself is
// taken: an absolute URL, a scheme-relative `//host`, a backslash that browsers read as a slash,
// or anything else is replaced by `/`, so the callback can never be an open redirect.

// A single leading slash followed by a path character other than / or \; no control characters.
const SAME_ORIGIN_PATH = /^\/(?![/\\])[^\\\p{Cc}]*$/u;

export function safeReturnTo(raw: unknown): string {
  if (typeof raw !== "string" || raw.length > 2048 || !SAME_ORIGIN_PATH.test(raw)) return "/";
  // Resolved against a placeholder origin: a path that leaves it (none should) falls back too.
  const base = "http://console.invalid";
  const resolved = new URL(raw, base);
  const path = `${resolved.pathname}${resolved.search}${resolved.hash}`;
  // Dot segments can turn "/.//host" into "//host": the normalised path is checked again.
  return resolved.origin === base && SAME_ORIGIN_PATH.test(path) ? path : "/";
}
