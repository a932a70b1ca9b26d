// Flags of `callback-operator callback-api entry`: rows of the one flag module
// (src/runtime/flags.ts), listed in docs/configuration.md. Pure: command.ts prints the error.
import { defaultClusterDomain } from "../../api/service-address.ts";
import {
  choiceFlag,
  durationFlag,
  FlagError,
  flagHelp,
  intFlag,
  listFlag,
  readFlags,
  type Flag,
} from "../../runtime/flags.ts";
import { parseUpstreams, type Upstream } from "./upstreams.ts";

export const entryFlags: readonly Flag[] = [
  {
    name: "upstreams",
    env: "CALLBACK_ENTRY_UPSTREAMS",
    help: "Comma-separated name=http://host:port of the Callback APIs to ask (local runs, tests); the CallbackServices of the cluster when empty.",
    default: "",
  },
  {
    name: "kubeconfig",
    env: "KUBECONFIG",
    help: "Kubeconfig file of the discovery; in-cluster credentials when unset. Not with --upstreams.",
  },
  {
    name: "namespaces",
    env: "WATCH_NAMESPACES",
    help: "Comma-separated namespaces whose CallbackServices are discovered; all namespaces when unset. Not with --upstreams.",
  },
  {
    name: "cluster-domain",
    env: "CALLBACK_ENTRY_CLUSTER_DOMAIN",
    help: `Cluster DNS domain of the discovered services' URLs (http://<name>.<namespace>.svc.<domain>); ${defaultClusterDomain} when unset. Not with --upstreams.`,
  },
  {
    name: "port",
    env: "CALLBACK_ENTRY_PORT",
    help: "TCP port for the service-less GMS paths and probes; 0 picks a free port.",
    default: "8080",
  },
  {
    name: "host",
    env: "CALLBACK_ENTRY_HOST",
    help: "Address to listen on.",
    default: "0.0.0.0",
  },
  {
    name: "admin-username",
    env: "CALLBACK_ENTRY_ADMIN_USERNAME",
    help: "User name for the /genesys/1/admin endpoints (HTTP Basic); the same as the Callback APIs'.",
  },
  {
    name: "admin-password-file",
    env: "CALLBACK_ENTRY_ADMIN_PASSWORD_FILE",
    help: "File holding the admin password (a mounted Secret); re-read on each admin request.",
  },
  {
    name: "upstream-timeout",
    env: "CALLBACK_ENTRY_UPSTREAM_TIMEOUT",
    help: "Time for one Callback API's whole answer; one slower is named in a 503.",
    default: "10s",
  },
  {
    name: "upstream-parallelism",
    env: "CALLBACK_ENTRY_UPSTREAM_PARALLELISM",
    help: "Callback APIs asked at once by one request (1-256).",
    default: "16",
  },
  {
    name: "log-level",
    env: "CALLBACK_ENTRY_LOG_LEVEL",
    help: "fatal, error, warn, info, debug, trace or silent. JSON logs (pino) on stdout.",
    default: "info",
  },
  { name: "help", env: "", help: "Print this help.", boolean: true },
];

export interface EntryConfig {
  readonly upstreams:
    | { readonly kind: "static"; readonly list: readonly Upstream[] }
    | {
        readonly kind: "discovered";
        readonly kubeconfig: string | undefined;
        readonly namespaces: readonly string[];
        readonly clusterDomain: string;
      };
  readonly port: number;
  readonly host: string;
  readonly admin: { readonly username: string; readonly passwordFile: string } | undefined;
  readonly upstreamTimeoutMs: number;
  readonly parallelism: number;
  readonly logLevel: string;
}

export function entryUsage(): string {
  return `Usage: callback-operator callback-api entry [--upstreams name=url,...] [--namespaces NS,...]
       [--admin-username USER --admin-password-file FILE]

Answers the GMS paths that name no service (the cross-service query, the admin paths, the paths of
a callback id) by asking every Callback API it knows and merging their answers.

Flags (each also read from the environment variable shown):
${flagHelp(entryFlags)}
`;
}

export function parseEntryFlags(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): EntryConfig | "help" {
  const values = readFlags(entryFlags, argv, env);
  if (values("help") === "true") return "help";
  const given = listFlag(values, "upstreams");
  let upstreams: EntryConfig["upstreams"];
  if (given.length > 0) {
    for (const name of ["kubeconfig", "namespaces", "cluster-domain"]) {
      if (values(name) !== undefined) {
        throw new FlagError(
          `--${name} configures the discovery of CallbackServices, which --upstreams replaces: drop one of them`,
        );
      }
    }
    const list = parseUpstreams(given);
    if (typeof list === "string") throw new FlagError(`--upstreams: ${list}`);
    upstreams = { kind: "static", list };
  } else {
    upstreams = {
      kind: "discovered",
      kubeconfig: values("kubeconfig"),
      namespaces: listFlag(values, "namespaces"),
      clusterDomain: values("cluster-domain") ?? defaultClusterDomain,
    };
  }
  const username = values("admin-username");
  const passwordFile = values("admin-password-file");
  if ((username === undefined) !== (passwordFile === undefined)) {
    throw new FlagError(
      "--admin-username and --admin-password-file go together: pass both or neither",
    );
  }
  const timeout = durationFlag(values, "upstream-timeout");
  if (timeout < 100 || timeout > 300_000) {
    throw new FlagError(
      `--upstream-timeout "${values("upstream-timeout") ?? ""}" is invalid: use a duration from 100ms to 5m, such as 10s`,
    );
  }
  return {
    upstreams,
    port: intFlag(values, "port", 0, 65535),
    host: values("host") ?? "0.0.0.0",
    admin:
      username === undefined || passwordFile === undefined ? undefined : { username, passwordFile },
    upstreamTimeoutMs: timeout,
    parallelism: intFlag(values, "upstream-parallelism", 1, 256),
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
