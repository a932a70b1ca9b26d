import { describe, expect, it } from "vitest";
import {
  openPendingSignIn,
  sealPendingSignIn,
  STATE_TTL_MS,
  stateCookieKey,
} from "./oidc-state-cookie.ts";

const KEY = stateCookieKey(Buffer.alloc(32, 7));
const PENDING = { state: "s", nonce: "n", codeVerifier: "v", returnTo: "/services" };
const T0 = 1_800_000_000_000;

describe("the sealed sign-in cookie", () => {
  it("opens to what was sealed, within 5 minutes", () => {
    const sealed = sealPendingSignIn(KEY, PENDING, T0);
    expect(openPendingSignIn(KEY, sealed, T0 + STATE_TTL_MS - 1)).toEqual(PENDING);
  });

  it("hides the verifier, state and nonce from whoever reads the cookie", () => {
    const pending = { ...PENDING, codeVerifier: "the-verifier-text" };
    const sealed = sealPendingSignIn(KEY, pending, T0);
    expect(Buffer.from(sealed, "base64url").toString("latin1")).not.toContain("the-verifier-text");
  });

  it("is refused once expired, changed, sealed under another key, or absent", () => {
    const sealed = sealPendingSignIn(KEY, PENDING, T0);
    expect(openPendingSignIn(KEY, sealed, T0 + STATE_TTL_MS)).toBeUndefined();
    const bytes = Buffer.from(sealed, "base64url");
    bytes[20] = (bytes[20] ?? 0) ^ 1;
    expect(openPendingSignIn(KEY, bytes.toString("base64url"), T0)).toBeUndefined();
    const other = stateCookieKey(Buffer.alloc(32, 8));
    expect(openPendingSignIn(other, sealed, T0)).toBeUndefined();
    expect(openPendingSignIn(KEY, undefined, T0)).toBeUndefined();
    expect(openPendingSignIn(KEY, "not-a-cookie", T0)).toBeUndefined();
  });
});
