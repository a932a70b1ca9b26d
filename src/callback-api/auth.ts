// HTTP Basic auth the GMS way: a service section's `username` and `password` options make those
// credentials required for the service's API. Admin endpoints take the admin credentials only.
import { timingSafeEqual, createHash } from "node:crypto";

export interface Credentials {
  readonly username: string;
  readonly password: string;
}

export function parseBasicAuth(header: string | undefined): Credentials | undefined {
  if (header === undefined) return undefined;
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (match?.[1] === undefined) return undefined;
  const decoded = Buffer.from(match[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Constant-time comparison of hashes, so neither length nor content leaks through timing. */
function same(a: string, b: string): boolean {
  const hash = (text: string): Buffer => createHash("sha256").update(text).digest();
  return timingSafeEqual(hash(a), hash(b));
}

export function matches(given: Credentials | undefined, expected: Credentials): boolean {
  if (given === undefined) return false;
  return same(given.username, expected.username) && same(given.password, expected.password);
}

/**
 * A service's own credentials: none (the section sets neither option), or both. A section with a
 * `username` and an empty or missing `password` (or a password without a username) is refused
 * rather than read as "open" or as "any password".
 */
export type ServiceCredentials =
  | { readonly kind: "open" }
  | { readonly kind: "required"; readonly credentials: Credentials }
  | { readonly kind: "invalid"; readonly problem: string };

export function serviceCredentials(options: {
  readonly username: string | undefined;
  readonly password: string | undefined;
}): ServiceCredentials {
  // Blanks around the name are not part of it (the section was read that way before the table).
  const username = options.username?.trim() ?? "";
  const password = options.password ?? "";
  if (username === "" && password.trim() === "") return { kind: "open" };
  if (username === "") {
    return {
      kind: "invalid",
      problem:
        "option password is set but option username is not: set both (HTTP Basic) or neither",
    };
  }
  if (password.trim() === "") {
    return {
      kind: "invalid",
      problem: `option username is "${username.slice(0, 64)}" but option password is empty or missing: set a password (spec.api.passwordSecretRef) or remove username`,
    };
  }
  return { kind: "required", credentials: { username, password } };
}
