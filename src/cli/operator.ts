// `callback-operator operator`: flags and environment → a running operator. docs/configuration.md
// lists the same table.
import { hostname } from "node:os";
import { pino } from "pino";
import { dnsSubdomainPattern, secretKeyPattern } from "../api/kubernetes-names.ts";
import { runOperator, type OperatorOptions } from "../controller/operator.ts";
import { systemClock } from "../runtime/clock.ts";
import { clusterAccess, KubeconfigUnreadable } from "../runtime/cluster-access.ts";
import {
  defaultRenderConfig,
  routingModes,
  type GatewayRef,
  type RenderConfig,
} from "../render/render-config.ts";
import {
  boolFlag,
  choiceFlag,
  durationFlag,
  FlagError,
  flagHelp,
  intFlag,
  listFlag,
  readFlags,
  type Flag,
  type FlagValues,
} from "../runtime/flags.ts";

export const operatorFlags: readonly Flag[] = [
  {
    name: "kubeconfig",
    env: "KUBECONFIG",
    help: "Kubeconfig file; in-cluster credentials when unset.",
  },
  {
    name: "namespaces",
    env: "WATCH_NAMESPACES",
    help: "Comma-separated namespaces to watch; all namespaces when empty.",
    default: "",
  },
  {
    name: "concurrency",
    env: "CALLBACK_OPERATOR_CONCURRENCY",
    help: "Services reconciled at once (MaxConcurrentReconciles).",
    default: "8",
  },
  {
    name: "routing-mode",
    env: "CALLBACK_OPERATOR_ROUTING_MODE",
    help: "How services without spec.route.ingressClassName or parentRefs are exposed: ingress or httproute.",
    default: "ingress",
  },
  {
    name: "default-host",
    env: "CALLBACK_OPERATOR_DEFAULT_HOST",
    help: "Host of every route unless spec.route.host is set; any host when empty.",
    default: "",
  },
  {
    name: "ingress-class",
    env: "CALLBACK_OPERATOR_INGRESS_CLASS",
    help: "IngressClass of every Ingress unless spec.route sets one; the cluster default when empty.",
    default: "",
  },
  {
    name: "gateway",
    env: "CALLBACK_OPERATOR_GATEWAY",
    help: "Default Gateways of HTTPRoutes: comma-separated namespace/name or namespace/name/section.",
    default: "",
  },
  {
    name: "url-scheme",
    env: "CALLBACK_OPERATOR_URL_SCHEME",
    help: "Scheme of status.url for routed hosts: https or http.",
    default: "https",
  },
  {
    name: "callback-api-image",
    env: "CALLBACK_OPERATOR_CALLBACK_API_IMAGE",
    help: "Image of the Callback API pods (holds the callback-api command).",
    default: defaultRenderConfig.image,
  },
  {
    name: "image-pull-policy",
    env: "CALLBACK_OPERATOR_IMAGE_PULL_POLICY",
    help: "imagePullPolicy of the Callback API pods.",
    default: defaultRenderConfig.imagePullPolicy,
  },
  {
    name: "cluster-domain",
    env: "CALLBACK_OPERATOR_CLUSTER_DOMAIN",
    help: "Cluster DNS domain, for status.url of services without a host.",
    default: defaultRenderConfig.clusterDomain,
  },
  {
    name: "default-database-secret",
    env: "CALLBACK_OPERATOR_DEFAULT_DATABASE_SECRET",
    help: "Secret, in each service's namespace, with the PostgreSQL URL of services without spec.api.databaseSecretRef; embedded PGlite when empty.",
    default: "",
  },
  {
    name: "default-database-secret-key",
    env: "CALLBACK_OPERATOR_DEFAULT_DATABASE_SECRET_KEY",
    help: "Key of the PostgreSQL URL in --default-database-secret.",
    default: "url",
  },
  {
    name: "admin-credentials-secret",
    env: "CALLBACK_OPERATOR_ADMIN_CREDENTIALS_SECRET",
    help: "Secret, in each service's namespace, whose keys username and password are the admin credentials of the Callback API of services without spec.api.adminSecretRef; admin endpoints off (403) when empty.",
    default: "",
  },
  {
    name: "default-storage-size",
    env: "CALLBACK_OPERATOR_DEFAULT_STORAGE_SIZE",
    help: "Size of the volume claim of services on the embedded database without spec.api.storage.size.",
    default: defaultRenderConfig.defaultStorageSize,
  },
  {
    name: "default-storage-class",
    env: "CALLBACK_OPERATOR_DEFAULT_STORAGE_CLASS",
    help: "StorageClass of those claims without spec.api.storage.storageClassName; the cluster default when empty.",
    default: "",
  },
  {
    name: "builtin-template",
    env: "CALLBACK_OPERATOR_BUILTIN_TEMPLATE",
    help: "Create the built-in callback, office-hours and capacity ServiceTemplates and keep them current on upgrade (server-side apply; fields a user changed keep the user's value); false: never touch them.",
    default: "true",
  },
  {
    name: "leader-elect",
    env: "CALLBACK_OPERATOR_LEADER_ELECT",
    help: "Elect a leader with a Lease so that only one replica writes.",
    default: "true",
  },
  {
    name: "leader-election-namespace",
    env: "POD_NAMESPACE",
    help: "Namespace of the leader-election Lease.",
    default: "default",
  },
  {
    name: "leader-election-id",
    env: "CALLBACK_OPERATOR_LEADER_ELECTION_ID",
    help: "Name of the leader-election Lease.",
    default: "callback-operator",
  },
  {
    name: "health-probe-bind-address",
    env: "CALLBACK_OPERATOR_HEALTH_ADDRESS",
    help: "host:port of /healthz, /readyz and /metrics.",
    default: "0.0.0.0:8081",
  },
  {
    name: "backoff-base",
    env: "CALLBACK_OPERATOR_BACKOFF_BASE",
    help: "First retry delay of a failed reconcile (doubles per failure).",
    default: "100ms",
  },
  {
    name: "backoff-max",
    env: "CALLBACK_OPERATOR_BACKOFF_MAX",
    help: "Longest retry delay of a failed reconcile.",
    default: "5m",
  },
  {
    name: "watch-timeout",
    env: "CALLBACK_OPERATOR_WATCH_TIMEOUT",
    help: "Server-side watch timeout; watches resume from the last resourceVersion.",
    default: "5m",
  },
  {
    name: "watchdog",
    env: "CALLBACK_OPERATOR_WATCHDOG",
    help: "Grace after --watch-timeout: a watch the server has not ended by then went silent (half-open connection) and is restarted with a relist.",
    default: "30s",
  },
  {
    name: "shutdown-grace",
    env: "CALLBACK_OPERATOR_SHUTDOWN_GRACE",
    help: "How long SIGTERM waits for in-flight reconciles.",
    default: "30s",
  },
  {
    name: "log-level",
    env: "CALLBACK_OPERATOR_LOG_LEVEL",
    help: "fatal, error, warn, info, debug or trace.",
    default: "info",
  },
  { name: "help", env: "CALLBACK_OPERATOR_HELP", help: "Print this help.", boolean: true },
];

export function usage(): string {
  return `Usage: callback-operator operator [flags]

Reconciles CallbackServices and ServiceTemplates into ConfigMaps, Callback API Deployments,
Services and Ingresses or HTTPRoutes.

Flags (each also read from the environment variable shown):
${flagHelp(operatorFlags)}
`;
}

function parseGateways(values: FlagValues): GatewayRef[] {
  return listFlag(values, "gateway").map((entry) => {
    const [namespace, name, sectionName, ...rest] = entry.split("/");
    if (namespace === undefined || name === undefined || name === "" || rest.length > 0) {
      throw new FlagError(
        `--gateway "${entry}" is invalid: use namespace/name or namespace/name/section`,
      );
    }
    return { namespace, name, ...(sectionName === undefined ? {} : { sectionName }) };
  });
}

function parseAddress(values: FlagValues): { host: string; port: number } {
  const raw = values("health-probe-bind-address") ?? "";
  const match = /^(.*):(\d{1,5})$/.exec(raw);
  if (match === null || Number(match[2]) > 65535) {
    throw new FlagError(
      `--health-probe-bind-address "${raw}" is invalid: use host:port, e.g. 0.0.0.0:8081 or 127.0.0.1:0`,
    );
  }
  return { host: match[1] === "" ? "0.0.0.0" : (match[1] ?? ""), port: Number(match[2]) };
}

function renderConfig(values: FlagValues): RenderConfig {
  return {
    image: values("callback-api-image") ?? defaultRenderConfig.image,
    imagePullPolicy: choiceFlag(values, "image-pull-policy", ["Always", "IfNotPresent", "Never"]),
    routingMode: choiceFlag(values, "routing-mode", routingModes),
    defaultHost: values("default-host") ?? "",
    ingressClassName: values("ingress-class") ?? "",
    gatewayParentRefs: parseGateways(values),
    urlScheme: choiceFlag(values, "url-scheme", ["https", "http"]),
    clusterDomain: values("cluster-domain") ?? defaultRenderConfig.clusterDomain,
    defaultDatabaseSecret: parseDefaultDatabaseSecret(values),
    adminCredentialsSecret: parseAdminCredentialsSecret(values),
    ...parseDefaultStorage(values),
  };
}

/** A binary-or-decimal byte quantity, as a volume claim's storage request accepts it. */
const storageSize = /^([0-9]+(\.[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/;

function parseDefaultStorage(
  values: FlagValues,
): Pick<RenderConfig, "defaultStorageSize" | "defaultStorageClass"> {
  const size = values("default-storage-size") ?? defaultRenderConfig.defaultStorageSize;
  const className = values("default-storage-class") ?? "";
  if (!storageSize.test(size)) {
    throw new FlagError(
      `--default-storage-size "${size}" is invalid: use a size such as 1Gi or 500Mi`,
    );
  }
  if (
    className !== "" &&
    (!new RegExp(dnsSubdomainPattern).test(className) || className.length > 253)
  ) {
    throw new FlagError(
      `--default-storage-class "${className}" is invalid: use a StorageClass name (lowercase letters, digits, '-' and '.')`,
    );
  }
  return { defaultStorageSize: size, defaultStorageClass: className };
}

function parseDefaultDatabaseSecret(values: FlagValues): { name: string; key: string } | undefined {
  const name = values("default-database-secret") ?? "";
  const key = values("default-database-secret-key") ?? "url";
  if (name === "") return undefined;
  if (!new RegExp(dnsSubdomainPattern).test(name) || name.length > 253) {
    throw new FlagError(
      `--default-database-secret "${name}" is invalid: use a Secret name (lowercase letters, digits, '-' and '.')`,
    );
  }
  if (!new RegExp(secretKeyPattern).test(key) || key.length > 253) {
    throw new FlagError(
      `--default-database-secret-key "${key}" is invalid: use a Secret key (letters, digits, '-', '_' and '.')`,
    );
  }
  return { name, key };
}

function parseAdminCredentialsSecret(values: FlagValues): string | undefined {
  const name = values("admin-credentials-secret") ?? "";
  if (name === "") return undefined;
  if (!new RegExp(dnsSubdomainPattern).test(name) || name.length > 253) {
    throw new FlagError(
      `--admin-credentials-secret "${name}" is invalid: use a Secret name (lowercase letters, digits, '-' and '.')`,
    );
  }
  return name;
}

export function operatorOptions(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): OperatorOptions | "help" {
  const values = readFlags(operatorFlags, argv, env);
  if (values("help") === "true") return "help";
  const log = pino({
    level: choiceFlag(values, "log-level", ["fatal", "error", "warn", "info", "debug", "trace"]),
    base: { component: "callback-operator" },
  });
  let cluster;
  try {
    cluster = clusterAccess(values("kubeconfig"), { env });
  } catch (error) {
    if (error instanceof KubeconfigUnreadable) throw new FlagError(error.message);
    throw error;
  }
  if (cluster === undefined) {
    throw new FlagError(
      "no Kubernetes cluster configured: set --kubeconfig or KUBECONFIG, or run in a pod",
    );
  }
  return {
    cluster,
    namespaces: listFlag(values, "namespaces"),
    concurrency: intFlag(values, "concurrency", 1, 256),
    render: renderConfig(values),
    fieldManager: "callback-operator",
    leaderElection: {
      enabled: boolFlag(values, "leader-elect"),
      namespace: values("leader-election-namespace") ?? "default",
      name: values("leader-election-id") ?? "callback-operator",
      identity: `${hostname()}_${process.pid}`,
    },
    health: parseAddress(values),
    installBuiltinTemplate: boolFlag(values, "builtin-template"),
    backoff: {
      base: durationFlag(values, "backoff-base"),
      max: durationFlag(values, "backoff-max"),
      jitter: 0,
    },
    watch: {
      timeoutSeconds: Math.max(1, Math.round(durationFlag(values, "watch-timeout") / 1000)),
      watchdogMs: durationFlag(values, "watchdog"),
    },
    shutdownGraceMs: durationFlag(values, "shutdown-grace"),
    log,
    clock: systemClock,
  };
}

export async function run(argv: string[]): Promise<void> {
  let options: OperatorOptions | "help";
  try {
    options = operatorOptions(argv, process.env);
  } catch (error) {
    if (!(error instanceof FlagError)) throw error;
    process.stderr.write(`callback-operator operator: ${error.message}\n`);
    process.exitCode = 2;
    return;
  }
  if (options === "help") {
    process.stdout.write(usage());
    return;
  }
  const stop = new AbortController();
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => {
      stop.abort();
    });
  }
  try {
    await runOperator(options, stop.signal);
  } catch (error) {
    options.log.fatal({ err: error }, "Operator stopped");
    process.exitCode = 1;
  }
}
