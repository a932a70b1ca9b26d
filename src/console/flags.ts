// Flags of `callback-operator console`: rows of the one flag module (src/runtime/flags.ts), listed
// in docs/configuration.md. Pure: command.ts prints the error.
import { defaultClusterDomain } from "../api/service-address.ts";
import { parseUpstreams } from "../callback-api/entry/upstreams.ts";
import {
  choiceFlag,
  durationFlag,
  FlagError,
  flagHelp,
  intFlag,
  listFlag,
  readFlags,
  type Flag,
} from "../runtime/flags.ts";

export const consoleFlags: readonly Flag[] = [
  {
    name: "port",
    env: "CALLBACK_CONSOLE_PORT",
    help: 'TCP port of the web console and its JSON API; 0 picks a free port (the log line "Console listening" gives the URL).',
    default: "8080",
  },
  { name: "host", env: "CALLBACK_CONSOLE_HOST", help: "Address to listen on.", default: "0.0.0.0" },
  {
    name: "kubeconfig",
    env: "KUBECONFIG",
    help: "Kubeconfig file for watching CallbackServices and ConsolePermissions; in-cluster credentials when unset.",
  },
  {
    name: "namespaces",
    env: "WATCH_NAMESPACES",
    help: "Comma-separated namespaces whose CallbackServices the console shows; all namespaces when unset.",
  },
  {
    name: "cluster-domain",
    env: "CALLBACK_CONSOLE_CLUSTER_DOMAIN",
    help: `Cluster DNS domain of the services' Callback API URLs (http://<name>.<namespace>.svc.<domain>); ${defaultClusterDomain} when unset.`,
  },
  {
    name: "callback-api-urls",
    env: "CALLBACK_CONSOLE_CALLBACK_API_URLS",
    help: "Comma-separated <namespace>/<name>=http://host:port: where a CallbackService's Callback API is reached instead of its Service (local runs, tests).",
  },
  {
    name: "admin-username",
    env: "CALLBACK_CONSOLE_ADMIN_USERNAME",
    help: "User name of the Callback APIs' admin credentials, used for every call to them.",
  },
  {
    name: "admin-password-file",
    env: "CALLBACK_CONSOLE_ADMIN_PASSWORD_FILE",
    help: "File holding the admin password (a mounted Secret); re-read on each call.",
  },
  {
    name: "local-users-dir",
    env: "CALLBACK_CONSOLE_LOCAL_USERS_DIR",
    help: "Directory of local users (a mounted Secret): one file per user, named for the user, holding a line from `callback-operator console hash-password`. Re-read on each sign-in.",
  },
  {
    name: "session-key-file",
    env: "CALLBACK_CONSOLE_SESSION_KEY_FILE",
    help: "File holding the HMAC key of session cookies (at least 32 bytes); when unset a random key is made at start, so sessions end on restart and are not shared between replicas.",
  },
  {
    name: "session-ttl",
    env: "CALLBACK_CONSOLE_SESSION_TTL",
    help: "Longest a session lasts after sign-in.",
    default: "8h",
  },
  {
    name: "session-idle",
    env: "CALLBACK_CONSOLE_SESSION_IDLE",
    help: "A session without a request for this long ends.",
    default: "30m",
  },
  {
    name: "external-url",
    env: "CALLBACK_CONSOLE_EXTERNAL_URL",
    help: "The console's public origin, e.g. https://console.example.com: the only Origin accepted on actions (the request's Host otherwise); https makes cookies Secure. Required with OIDC.",
  },
  {
    name: "oidc-issuer",
    env: "CALLBACK_CONSOLE_OIDC_ISSUER",
    help: "OpenID Connect issuer URL; sign-in with single sign-on when set.",
  },
  {
    name: "oidc-client-id",
    env: "CALLBACK_CONSOLE_OIDC_CLIENT_ID",
    help: "OIDC client id of the console.",
  },
  {
    name: "oidc-client-secret-file",
    env: "CALLBACK_CONSOLE_OIDC_CLIENT_SECRET_FILE",
    help: "File holding the OIDC client secret (a mounted Secret).",
  },
  {
    name: "oidc-groups-claim",
    env: "CALLBACK_CONSOLE_OIDC_GROUPS_CLAIM",
    help: "ID token claim holding the person's groups (the Group subjects of ConsolePermissions).",
    default: "groups",
  },
  {
    name: "oidc-username-claim",
    env: "CALLBACK_CONSOLE_OIDC_USERNAME_CLAIM",
    help: "ID token claim holding the user name (the User subjects of ConsolePermissions).",
    default: "preferred_username",
  },
  {
    name: "oidc-scopes",
    env: "CALLBACK_CONSOLE_OIDC_SCOPES",
    help: "Space-separated scopes asked of the issuer.",
    default: "openid profile email",
  },
  {
    name: "upstream-timeout",
    env: "CALLBACK_CONSOLE_UPSTREAM_TIMEOUT",
    help: "Time for one Callback API's whole answer; a slower one is named in a 503.",
    default: "10s",
  },
  {
    name: "log-level",
    env: "CALLBACK_CONSOLE_LOG_LEVEL",
    help: "fatal, error, warn, info, debug, trace or silent. JSON logs (pino) on stdout.",
    default: "info",
  },
  { name: "help", env: "", help: "Print this help.", boolean: true },
];

export interface OidcConfig {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecretFile: string | undefined;
  readonly groupsClaim: string;
  readonly usernameClaim: string;
  readonly scopes: string;
}

export interface ConsoleConfig {
  readonly port: number;
  readonly host: string;
  readonly kubeconfig: string | undefined;
  readonly namespaces: readonly string[];
  readonly clusterDomain: string;
  readonly urlOverrides: ReadonlyMap<string, string>;
  readonly admin: { readonly username: string; readonly passwordFile: string } | undefined;
  readonly localUsersDir: string | undefined;
  readonly sessionKeyFile: string | undefined;
  readonly sessionTtlMs: number;
  readonly sessionIdleMs: number;
  /** The public origin (scheme://host[:port]), when given. */
  readonly externalOrigin: string | undefined;
  readonly oidc: OidcConfig | undefined;
  readonly upstreamTimeoutMs: number;
  readonly logLevel: string;
}

export function consoleUsage(): string {
  return `Usage: callback-operator console [--port P] [--local-users-dir DIR] [--admin-username USER --admin-password-file FILE]
       callback-operator console hash-password < password

The web console of the Callback Services: the services and callbacks a person may see and manage,
by the cluster's ConsolePermissions. "hash-password" reads a password on stdin and prints the line
to store as a local user's file.

Flags (each also read from the environment variable shown):
${flagHelp(consoleFlags)}
`;
}

function duration(
  values: (name: string) => string | undefined,
  name: string,
  minMs: number,
): number {
  const ms = durationFlag(values, name);
  if (ms < minMs || ms > 7 * 86_400_000) {
    throw new FlagError(
      `--${name} "${values(name) ?? ""}" is invalid: use a duration from ${minMs / 1000}s to 168h, such as 30m`,
    );
  }
  return ms;
}

function origin(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new FlagError(`--external-url "${raw}" is not a URL: use https://console.example.com`);
  }
  if (
    (url.protocol !== "http:" && url.protocol !== "https:") ||
    url.pathname !== "/" ||
    url.search !== ""
  ) {
    throw new FlagError(
      `--external-url "${raw}" must be the origin alone, http(s)://host[:port], such as https://console.example.com`,
    );
  }
  return url.origin;
}

function overrides(entries: readonly string[]): Map<string, string> {
  const parsed = parseUpstreams(entries);
  if (typeof parsed === "string") throw new FlagError(`--callback-api-urls: ${parsed}`);
  const map = new Map<string, string>();
  for (const { name, url } of parsed) {
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z]([-a-z0-9]*[a-z0-9])?$/.test(name)) {
      throw new FlagError(
        `--callback-api-urls: "${name}" is not <namespace>/<name>: name each CallbackService with its namespace, e.g. default/support=http://127.0.0.1:8081`,
      );
    }
    map.set(name, url);
  }
  return map;
}

export function parseConsoleFlags(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): ConsoleConfig | "help" {
  const values = readFlags(consoleFlags, argv, env);
  if (values("help") === "true") return "help";
  const username = values("admin-username");
  const passwordFile = values("admin-password-file");
  if ((username === undefined) !== (passwordFile === undefined)) {
    throw new FlagError(
      "--admin-username and --admin-password-file go together: pass both, or neither (then no Callback API can be asked)",
    );
  }
  const timeout = durationFlag(values, "upstream-timeout");
  if (timeout < 100 || timeout > 300_000) {
    throw new FlagError(
      `--upstream-timeout "${values("upstream-timeout") ?? ""}" is invalid: use a duration from 100ms to 5m, such as 10s`,
    );
  }
  const externalOrigin = origin(values("external-url"));
  const issuer = values("oidc-issuer");
  const clientId = values("oidc-client-id");
  if ((issuer === undefined) !== (clientId === undefined)) {
    throw new FlagError("--oidc-issuer and --oidc-client-id go together: pass both, or neither");
  }
  if (issuer !== undefined && externalOrigin === undefined) {
    throw new FlagError(
      "--oidc-issuer needs --external-url: the issuer redirects back to <external-url>/auth/oidc/callback",
    );
  }
  return {
    port: intFlag(values, "port", 0, 65535),
    host: values("host") ?? "0.0.0.0",
    kubeconfig: values("kubeconfig"),
    namespaces: listFlag(values, "namespaces"),
    clusterDomain: values("cluster-domain") ?? defaultClusterDomain,
    urlOverrides: overrides(listFlag(values, "callback-api-urls")),
    admin:
      username === undefined || passwordFile === undefined ? undefined : { username, passwordFile },
    localUsersDir: values("local-users-dir"),
    sessionKeyFile: values("session-key-file"),
    sessionTtlMs: duration(values, "session-ttl", 1000),
    sessionIdleMs: duration(values, "session-idle", 1000),
    externalOrigin,
    oidc:
      issuer === undefined || clientId === undefined
        ? undefined
        : {
            issuer,
            clientId,
            clientSecretFile: values("oidc-client-secret-file"),
            groupsClaim: values("oidc-groups-claim") ?? "groups",
            usernameClaim: values("oidc-username-claim") ?? "preferred_username",
            scopes: values("oidc-scopes") ?? "openid profile email",
          },
    upstreamTimeoutMs: timeout,
    logLevel: choiceFlag(values, "log-level", [
      "fatal",
      "error",
      "warn",
      "info",
      "debug",
      "trace",
      "silent",
    ]),
  };
}
