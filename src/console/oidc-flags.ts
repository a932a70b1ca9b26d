// The console's single sign-on flags: rows of the one flag module (src/runtime/flags.ts), to be
// listed with the console's other rows (src/console/flags.ts), and their parsing into one
// OidcConfig. Pure: a bad value is a FlagError naming the flag and the fix.
import { isIP } from "node:net";
import { FlagError, type Flag, type FlagValues } from "../runtime/flags.ts";

export interface OidcConfig {
  /** The issuer as configured; discovery reads <issuer>/.well-known/openid-configuration. */
  readonly issuer: URL;
  readonly clientId: string;
  /** Re-read before each code exchange, so a rotated Secret needs no restart. */
  readonly clientSecretFile: string;
  readonly usernameClaim: string;
  readonly groupsClaim: string;
  readonly scopes: readonly string[];
  /** <external-url>/auth/oidc/callback, registered at the issuer as the client's redirect URI. */
  readonly redirectUri: URL;
  /** Cookies get Secure when the console is served over https. */
  readonly secureCookies: boolean;
}

export const oidcFlags: readonly Flag[] = [
  {
    name: "oidc-issuer",
    env: "CALLBACK_CONSOLE_OIDC_ISSUER",
    help: "OpenID Connect issuer URL (https; http only on loopback) for single sign-on; needs --oidc-client-id, --oidc-client-secret-file and --external-url. Off when unset.",
  },
  {
    name: "oidc-client-id",
    env: "CALLBACK_CONSOLE_OIDC_CLIENT_ID",
    help: "The console's client ID at the issuer.",
  },
  {
    name: "oidc-client-secret-file",
    env: "CALLBACK_CONSOLE_OIDC_CLIENT_SECRET_FILE",
    help: "File holding the client secret (a mounted Secret), sent with client_secret_basic; re-read on each sign-in.",
  },
  {
    name: "oidc-username-claim",
    env: "CALLBACK_CONSOLE_OIDC_USERNAME_CLAIM",
    help: "Claim (ID token, else userinfo) giving the user name that User subjects of ConsolePermissions name.",
    default: "preferred_username",
  },
  {
    name: "oidc-groups-claim",
    env: "CALLBACK_CONSOLE_OIDC_GROUPS_CLAIM",
    help: "Claim (ID token, else userinfo) giving the groups, a string or a list, that Group subjects of ConsolePermissions name.",
    default: "groups",
  },
  {
    name: "oidc-scopes",
    env: "CALLBACK_CONSOLE_OIDC_SCOPES",
    help: "Space-separated scopes asked for; must include openid (add groups where the issuer wants it, e.g. Dex).",
    default: "openid profile email",
  },
];

const CLAIM = /^[A-Za-z0-9_.:/-]{1,256}$/;
const SCOPE = /^[\x21\x23-\x5B\x5D-\x7E]+$/; // RFC 6749 §3.3 scope-token

/**
 * The OIDC settings, or undefined when --oidc-issuer is unset (single sign-on off). `externalUrl`
 * is the console's --external-url, already checked to be an http(s) origin by its own parser.
 */
export function parseOidcFlags(
  values: FlagValues,
  externalUrl: string | undefined,
): OidcConfig | undefined {
  const issuerText = values("oidc-issuer");
  const clientId = values("oidc-client-id");
  const clientSecretFile = values("oidc-client-secret-file");
  if (issuerText === undefined) {
    if (clientId !== undefined || clientSecretFile !== undefined) {
      throw new FlagError(
        "--oidc-client-id and --oidc-client-secret-file need --oidc-issuer: add the issuer URL or drop them",
      );
    }
    return undefined;
  }
  const issuer = issuerUrl(issuerText);
  const missing = [
    ...(clientId === undefined ? ["--oidc-client-id"] : []),
    ...(clientSecretFile === undefined ? ["--oidc-client-secret-file"] : []),
    ...(externalUrl === undefined ? ["--external-url"] : []),
  ];
  if (clientId === undefined || clientSecretFile === undefined || externalUrl === undefined) {
    throw new FlagError(
      `--oidc-issuer needs ${missing.join(", ")}: single sign-on needs the client's ID, its secret and the console's public URL (the redirect URL is <external-url>/auth/oidc/callback)`,
    );
  }
  const redirectUri = new URL("/auth/oidc/callback", externalUrl);
  return {
    issuer,
    clientId,
    clientSecretFile,
    usernameClaim: claimFlag(values, "oidc-username-claim"),
    groupsClaim: claimFlag(values, "oidc-groups-claim"),
    scopes: scopesFlag(values),
    redirectUri,
    secureCookies: redirectUri.protocol === "https:",
  };
}

function issuerUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new FlagError(
      `--oidc-issuer "${text}" is not a URL: use the issuer as the provider names it, e.g. https://login.example.com/realms/contact-centre`,
    );
  }
  const loopback = isLoopback(url.hostname);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) {
    throw new FlagError(
      `--oidc-issuer "${text}" is invalid: use an https URL (plain http only for an issuer on loopback)`,
    );
  }
  if (url.search !== "" || url.hash !== "") {
    throw new FlagError(
      `--oidc-issuer "${text}" is invalid: an issuer has no query or fragment; drop them`,
    );
  }
  return url;
}

/** 127.0.0.0/8, ::1 and localhost: tests and local runs of an issuer. */
export function isLoopback(hostname: string): boolean {
  const bare = hostname.replace(/^\[|\]$/g, "");
  if (bare === "localhost") return true;
  if (isIP(bare) === 4) return bare.startsWith("127.");
  return bare === "::1";
}

function claimFlag(values: FlagValues, name: string): string {
  const raw = values(name) ?? "";
  if (!CLAIM.test(raw)) {
    throw new FlagError(
      `--${name} "${raw}" is invalid: name one claim (letters, digits, _ . : / -), e.g. preferred_username or groups`,
    );
  }
  return raw;
}

function scopesFlag(values: FlagValues): string[] {
  const raw = values("oidc-scopes") ?? "";
  const scopes = raw.split(/\s+/).filter((scope) => scope !== "");
  const bad = scopes.find((scope) => !SCOPE.test(scope));
  if (bad !== undefined) {
    throw new FlagError(
      `--oidc-scopes has an invalid scope "${bad}": separate scopes with spaces, without quotes or backslashes`,
    );
  }
  if (!scopes.includes("openid")) {
    throw new FlagError(
      `--oidc-scopes "${raw}" lacks openid: OpenID Connect needs it, e.g. "openid profile email"`,
    );
  }
  return scopes;
}
