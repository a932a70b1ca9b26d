import { describe, expect, it } from "vitest";
import { FlagError, readFlags } from "../runtime/flags.ts";
import { isLoopback, oidcFlags, parseOidcFlags } from "./oidc-flags.ts";

const EXTERNAL = "https://console.example.com";
const COMPLETE = [
  "--oidc-issuer=https://login.example.com/realms/cc",
  "--oidc-client-id=callback-console",
  "--oidc-client-secret-file=/etc/oidc/secret",
];

function parse(
  argv: string[],
  env: NodeJS.ProcessEnv = {},
  external: string | undefined = EXTERNAL,
) {
  return parseOidcFlags(readFlags(oidcFlags, argv, env), external);
}

describe("OIDC flags", () => {
  it("turn single sign-on off when --oidc-issuer is unset", () => {
    expect(parse([])).toBeUndefined();
  });

  it("give the issuer, client, defaults for claims and scopes, and the redirect URL under --external-url", () => {
    const config = parse(COMPLETE);
    expect(config).toEqual({
      issuer: new URL("https://login.example.com/realms/cc"),
      clientId: "callback-console",
      clientSecretFile: "/etc/oidc/secret",
      usernameClaim: "preferred_username",
      groupsClaim: "groups",
      scopes: ["openid", "profile", "email"],
      redirectUri: new URL("https://console.example.com/auth/oidc/callback"),
      secureCookies: true,
    });
  });

  it("are read from the environment too", () => {
    const config = parse([], {
      CALLBACK_CONSOLE_OIDC_ISSUER: "https://dex.example.com",
      CALLBACK_CONSOLE_OIDC_CLIENT_ID: "console",
      CALLBACK_CONSOLE_OIDC_CLIENT_SECRET_FILE: "/s",
      CALLBACK_CONSOLE_OIDC_GROUPS_CLAIM: "roles",
      CALLBACK_CONSOLE_OIDC_USERNAME_CLAIM: "email",
      CALLBACK_CONSOLE_OIDC_SCOPES: "openid groups  email",
    });
    expect(config).toMatchObject({
      groupsClaim: "roles",
      usernameClaim: "email",
      scopes: ["openid", "groups", "email"],
    });
  });

  it("leave cookies without Secure on a plain-http external URL", () => {
    expect(parse(COMPLETE, {}, "http://127.0.0.1:8080")?.secureCookies).toBe(false);
  });

  it.each([
    [
      ["--oidc-issuer=https://i.example"],
      /--oidc-issuer needs --oidc-client-id, --oidc-client-secret-file/,
    ],
    [["--oidc-client-id=x"], /need --oidc-issuer/],
    [
      [...COMPLETE.slice(0, 1), "--oidc-issuer=http://login.example.com", ...COMPLETE.slice(1)],
      /https URL/,
    ],
    [["--oidc-issuer=login.example.com", ...COMPLETE.slice(1)], /is not a URL/],
    [["--oidc-issuer=https://i.example/?x=1", ...COMPLETE.slice(1)], /no query or fragment/],
    [[...COMPLETE, "--oidc-scopes=profile email"], /lacks openid/],
    [[...COMPLETE, '--oidc-scopes=openid "groups"'], /invalid scope ""groups""/],
    [[...COMPLETE, "--oidc-groups-claim=my groups"], /--oidc-groups-claim "my groups" is invalid/],
    [[...COMPLETE, "--oidc-username-claim="], /--oidc-username-claim "" is invalid/],
  ])("refuse %j naming the flag and the fix", (argv, message) => {
    expect(() => parse(argv)).toThrow(FlagError);
    expect(() => parse(argv)).toThrow(message);
  });

  it("need --external-url for the redirect URL", () => {
    expect(() => parseOidcFlags(readFlags(oidcFlags, COMPLETE, {}), undefined)).toThrow(
      /needs --external-url/,
    );
  });

  it("allow plain http for an issuer on loopback only", () => {
    const argv = ["--oidc-issuer=http://127.0.0.1:9000", ...COMPLETE.slice(1)];
    expect(parse(argv)?.issuer.href).toBe("http://127.0.0.1:9000/");
    expect(isLoopback("[::1]")).toBe(true);
    expect(isLoopback("localhost")).toBe(true);
    expect(isLoopback("127.9.9.9")).toBe(true);
    expect(isLoopback("128.0.0.1")).toBe(false);
    expect(isLoopback("127.example.com")).toBe(false);
  });
});
