// The sign-in in progress, kept in the browser: the state, nonce and PKCE code verifier of one
// authorization request and where to go after it, sealed with AES-256-GCM (authenticated: a cookie
// changed or made by anyone without the key is refused) under a key derived from the session key,
// so that any replica sharing --session-key-file can finish a sign-in another replica started. It
// lives 5 minutes and is cleared by the callback, whatever the outcome.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";

export const STATE_COOKIE = "cbo_oidc";
export const STATE_TTL_MS = 5 * 60_000;

export interface PendingSignIn {
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
  readonly returnTo: string;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A key for this cookie only: HKDF of the session key with its own label. */
export function stateCookieKey(sessionKey: Uint8Array): Buffer {
  return Buffer.from(hkdfSync("sha256", sessionKey, "", "callback-console oidc state v1", 32));
}

export function sealPendingSignIn(key: Buffer, pending: PendingSignIn, now: number): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  const plain = JSON.stringify({ ...pending, expiresAt: now + STATE_TTL_MS });
  const sealed = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
  return Buffer.concat([iv, sealed, cipher.getAuthTag()]).toString("base64url");
}

/** The pending sign-in, or undefined for a cookie that is absent, tampered with or expired. */
export function openPendingSignIn(
  key: Buffer,
  value: string | undefined,
  now: number,
): PendingSignIn | undefined {
  if (value === undefined) return undefined;
  const bytes = Buffer.from(value, "base64url");
  if (bytes.length <= IV_BYTES + TAG_BYTES) return undefined;
  let parsed: unknown;
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, bytes.subarray(0, IV_BYTES));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    const plain = Buffer.concat([
      decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)),
      decipher.final(),
    ]);
    parsed = JSON.parse(plain.toString("utf8"));
  } catch {
    return undefined;
  }
  return pendingOf(parsed, now);
}

function pendingOf(value: unknown, now: number): PendingSignIn | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const { state, nonce, codeVerifier, returnTo, expiresAt } = value as Record<string, unknown>;
  if (
    typeof state !== "string" ||
    typeof nonce !== "string" ||
    typeof codeVerifier !== "string" ||
    typeof returnTo !== "string" ||
    typeof expiresAt !== "number" ||
    expiresAt <= now
  ) {
    return undefined;
  }
  return { state, nonce, codeVerifier, returnTo };
}
