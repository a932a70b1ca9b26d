// Flags of `callback-operator callback-api`: rows of the one flag module (src/runtime/flags.ts),
// each with its environment twin, default and help; --help and docs/configuration.md come from
// them. Pure: main.ts prints the one-line error and exits 2; tests call parseFlags directly.
import { isIP } from "node:net";
import { join } from "node:path";
import {
  choiceFlag,
  durationFlag,
  FlagError,
  flagHelp,
  listFlag,
  readFlags,
  type Flag,
  type FlagValues,
} from "../runtime/flags.ts";
import { DEFAULT_POOL_SIZE } from "./database.ts";
import { DEFAULT_TIMEOUTS, type HttpTimeouts } from "./http-timeouts.ts";
import type { StorageChoice } from "./open-store.ts";

export interface CliConfig {
  readonly serviceName: string;
  readonly configDir: string;
  /** Where the sections of the office-hours and capacity services it names are mounted, one directory each. */
  readonly servicesDir: string;
  readonly port: number;
  readonly host: string;
  readonly storage: StorageChoice;
  readonly admin: { readonly username: string; readonly passwordFile: string } | undefined;
  readonly logLevel: string;
  readonly timeouts: HttpTimeouts;
  /** Port of /metrics, on `host` like the API; never served on the API port. */
  readonly metricsPort: number;
  /** Reverse proxies (addresses, CIDRs) whose X-Forwarded-* headers are believed; none by default. */
  readonly trustedProxies: readonly string[];
  /** Origin of record URLs (`_url`); from the request's Host header when unset. */
  readonly externalUrl: string | undefined;
}

export type ParseResult =
  | { readonly kind: "config"; readonly config: CliConfig }
  | { readonly kind: "help" }
  | { readonly kind: "error"; readonly message: string };

/** A whole number of seconds as a Go duration, for the defaults shown in --help. */
const seconds = (ms: number): string => `${ms / 1000}s`;

export const callbackApiFlags: readonly Flag[] = [
  {
    name: "service-name",
    env: "CALLBACK_API_SERVICE_NAME",
    help: "GMS service name ({callback-execution-name} in the API paths): letters, digits, '.', '_', '-'. Required.",
  },
  {
    name: "config-dir",
    env: "CALLBACK_API_CONFIG_DIR",
    help: "Directory of option files (the mounted ConfigMap: one file per option). Required.",
  },
  {
    name: "services-dir",
    env: "CALLBACK_API_SERVICES_DIR",
    help: "Directory holding one directory per office-hours or capacity service the options name (_business_hours_service, _capacity_service), each laid out like --config-dir; <config-dir>/services when unset.",
  },
  {
    name: "port",
    env: "CALLBACK_API_PORT",
    help: "TCP port for the API and probes; 0 picks a free port.",
    default: "8080",
  },
  {
    name: "host",
    env: "CALLBACK_API_HOST",
    help: "Address to listen on, for the API and /metrics.",
    default: "0.0.0.0",
  },
  {
    name: "database-url",
    env: "CALLBACK_API_DATABASE_URL",
    help: "PostgreSQL URL (postgres://user:pass@host:5432/db). Shared by replicas.",
  },
  {
    name: "database-pool-size",
    env: "CALLBACK_API_DATABASE_POOL_SIZE",
    help: `Connections in the PostgreSQL pool (1-1000), with --database-url only; ${DEFAULT_POOL_SIZE} when unset.`,
  },
  {
    name: "data-dir",
    env: "CALLBACK_API_DATA_DIR",
    help: "Embedded PGlite data directory, used when no --database-url is given.",
  },
  {
    name: "in-memory",
    env: "CALLBACK_API_IN_MEMORY",
    help: "Embedded PGlite in memory: every callback is lost on exit. Only when asked.",
    boolean: true,
  },
  {
    name: "admin-username",
    env: "CALLBACK_API_ADMIN_USERNAME",
    help: "User name for the /genesys/1/admin endpoints (HTTP Basic).",
  },
  {
    name: "admin-password-file",
    env: "CALLBACK_API_ADMIN_PASSWORD_FILE",
    help: "File holding the admin password (a mounted Secret); re-read on each admin request.",
  },
  {
    name: "request-timeout",
    env: "CALLBACK_API_REQUEST_TIMEOUT",
    help: "Time for a whole request (headers and body) to arrive, else 408.",
    default: seconds(DEFAULT_TIMEOUTS.requestMs),
  },
  {
    name: "headers-timeout",
    env: "CALLBACK_API_HEADERS_TIMEOUT",
    help: "Time for the request headers to arrive (from the first byte, or the connection), else 408; at most --request-timeout.",
    default: seconds(DEFAULT_TIMEOUTS.headersMs),
  },
  {
    name: "connection-timeout",
    env: "CALLBACK_API_CONNECTION_TIMEOUT",
    help: "A connection silent both ways this long is closed.",
    default: seconds(DEFAULT_TIMEOUTS.connectionMs),
  },
  {
    name: "keep-alive-timeout",
    env: "CALLBACK_API_KEEP_ALIVE_TIMEOUT",
    help: "An idle keep-alive connection is closed after this (Node adds 1 s); longer than a load balancer's usual 60 s.",
    default: seconds(DEFAULT_TIMEOUTS.keepAliveMs),
  },
  {
    name: "metrics-port",
    env: "CALLBACK_API_METRICS_PORT",
    help: "TCP port for /metrics (Prometheus), on --host, never the API's port; 0 picks a free port.",
    default: "9464",
  },
  {
    name: "trusted-proxies",
    env: "CALLBACK_API_TRUSTED_PROXIES",
    help: "Comma-separated addresses or CIDRs of reverse proxies whose X-Forwarded-For/-Host/-Proto are believed; none when empty.",
    default: "",
  },
  {
    name: "external-url",
    env: "CALLBACK_API_EXTERNAL_URL",
    help: "http(s)://host[:port] clients reach the API at: the origin of record URLs; the request's Host when unset.",
  },
  {
    name: "log-level",
    env: "CALLBACK_API_LOG_LEVEL",
    help: "fatal, error, warn, info, debug, trace or silent. JSON logs (pino) on stdout.",
    default: "info",
  },
  { name: "help", env: "", help: "Print this help.", boolean: true },
];

export function usage(): string {
  return `Usage: callback-operator callback-api --service-name NAME --config-dir DIR [--port PORT]
       [--database-url URL [--database-pool-size N] | --data-dir DIR | --in-memory] [--admin-username USER --admin-password-file FILE]

Serves the GMS Callback API of one service. "callback-operator callback-api migrate --help" shows
the command that moves a service's callbacks between embedded PGlite and PostgreSQL;
"callback-operator callback-api entry --help" the entry point for the paths that name no service.

Flags (each also read from the environment variable shown):
${flagHelp(callbackApiFlags)}
`;
}

const SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/;
const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/** A TCP port, 0 to 65535 (0 picks a free one). */
function portFlag(values: FlagValues, name: string): number {
  const raw = values(name) ?? "";
  if (!/^\d{1,5}$/.test(raw) || Number(raw) > 65535) {
    throw new FlagError(`--${name} "${raw}" is invalid: use a number from 0 to 65535`);
  }
  return Number(raw);
}

function parseStorage(values: FlagValues): CliConfig["storage"] {
  const url = values("database-url");
  const dataDir = values("data-dir");
  const inMemory = values("in-memory");
  if (inMemory !== undefined && inMemory !== "true" && inMemory !== "false") {
    throw new FlagError(
      `--in-memory takes no value (CALLBACK_API_IN_MEMORY must be true or false, not "${inMemory}")`,
    );
  }
  const memory = inMemory === "true";
  if ([url !== undefined, dataDir !== undefined, memory].filter(Boolean).length > 1) {
    throw new FlagError(
      "--database-url, --data-dir and --in-memory exclude each other: choose one storage",
    );
  }
  const poolSize = values("database-pool-size");
  if (poolSize !== undefined && url === undefined) {
    throw new FlagError(
      "--database-pool-size applies to --database-url only: drop it or add the URL",
    );
  }
  if (
    poolSize !== undefined &&
    (!/^\d{1,4}$/.test(poolSize) || +poolSize < 1 || +poolSize > 1000)
  ) {
    throw new FlagError(
      `--database-pool-size "${poolSize}" is invalid: use a number from 1 to 1000`,
    );
  }
  if (url !== undefined) {
    if (!/^postgres(ql)?:\/\//.test(url)) {
      throw new FlagError("--database-url must start with postgres:// or postgresql://");
    }
    return { kind: "postgres", url, poolSize: Number(poolSize ?? DEFAULT_POOL_SIZE) };
  }
  if (dataDir !== undefined) return { kind: "pglite", dataDir };
  if (memory) return { kind: "memory" };
  throw new FlagError(
    "no storage chosen: pass --database-url URL (PostgreSQL), --data-dir DIR (embedded PGlite) or --in-memory",
  );
}

function parseAdmin(values: FlagValues): CliConfig["admin"] {
  const username = values("admin-username");
  const passwordFile = values("admin-password-file");
  if (username === undefined && passwordFile === undefined) return undefined;
  if (username === undefined || passwordFile === undefined) {
    throw new FlagError(
      "--admin-username and --admin-password-file go together: pass both or neither",
    );
  }
  return { username, passwordFile };
}

const TIMEOUT_FLAGS = {
  "request-timeout": "requestMs",
  "headers-timeout": "headersMs",
  "connection-timeout": "connectionMs",
  "keep-alive-timeout": "keepAliveMs",
} as const satisfies Record<string, keyof HttpTimeouts>;

function parseTimeouts(values: FlagValues): HttpTimeouts {
  const timeouts: Record<keyof HttpTimeouts, number> = { ...DEFAULT_TIMEOUTS };
  for (const [name, key] of Object.entries(TIMEOUT_FLAGS)) {
    const ms = durationFlag(values, name);
    if (ms < 100 || ms > 3_600_000) {
      throw new FlagError(
        `--${name} "${values(name) ?? ""}" is invalid: use a duration from 100ms to 1h, such as 30s or 2.5s`,
      );
    }
    timeouts[key] = ms;
  }
  if (timeouts.headersMs > timeouts.requestMs) {
    throw new FlagError(
      `--headers-timeout (${seconds(timeouts.headersMs)}) exceeds --request-timeout (${seconds(timeouts.requestMs)}): the headers are part of the request`,
    );
  }
  return timeouts;
}

function isProxyAddress(entry: string): boolean {
  const [address = "", prefix, ...rest] = entry.split("/");
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

function parseTrustedProxies(values: FlagValues): string[] {
  const trustedProxies = listFlag(values, "trusted-proxies");
  const badProxy = trustedProxies.find((entry) => !isProxyAddress(entry));
  if (badProxy !== undefined) {
    throw new FlagError(
      `--trusted-proxies "${badProxy}" is not an address or CIDR: use e.g. 10.0.0.0/8,192.168.1.10`,
    );
  }
  return trustedProxies;
}

function parseExternalUrl(values: FlagValues): string | undefined {
  const externalUrl = values("external-url");
  if (externalUrl === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(externalUrl);
  } catch {
    url = undefined;
  }
  if (
    url === undefined ||
    !["http:", "https:"].includes(url.protocol) ||
    url.pathname !== "/" ||
    url.search !== "" ||
    url.hash !== "" ||
    url.username !== "" ||
    url.password !== ""
  ) {
    throw new FlagError(
      `--external-url "${externalUrl}" is invalid: use http(s)://host[:port] with no path, such as https://callbacks.example.com`,
    );
  }
  return externalUrl;
}

function parseServiceName(values: FlagValues): string {
  const serviceName = values("service-name");
  if (serviceName === undefined) {
    throw new FlagError(
      "--service-name is required: pass --service-name NAME or set CALLBACK_API_SERVICE_NAME",
    );
  }
  if (!SERVICE_NAME.test(serviceName)) {
    throw new FlagError(
      `--service-name "${serviceName}" is invalid: use letters, digits, ".", "_" and "-" (at most 253)`,
    );
  }
  return serviceName;
}

function parseServicesDir(values: FlagValues, configDir: string): string {
  const dir = values("services-dir");
  if (dir === "") {
    throw new FlagError(
      "--services-dir is empty: pass the directory of the linked services' sections, or leave it out for <config-dir>/services",
    );
  }
  return dir ?? join(configDir, "services");
}

function parseConfig(values: FlagValues): CliConfig {
  const serviceName = parseServiceName(values);
  const configDir = values("config-dir");
  if (configDir === undefined) {
    throw new FlagError(
      "--config-dir is required: pass --config-dir DIR (the mounted ConfigMap) or set CALLBACK_API_CONFIG_DIR",
    );
  }
  const port = portFlag(values, "port");
  const logLevel = choiceFlag(values, "log-level", LOG_LEVELS);
  const storage = parseStorage(values);
  const admin = parseAdmin(values);
  const timeouts = parseTimeouts(values);
  const metricsPort = portFlag(values, "metrics-port");
  if (metricsPort !== 0 && metricsPort === port) {
    throw new FlagError(
      `--metrics-port ${metricsPort} is the API's --port: metrics are served on a port of their own`,
    );
  }
  return {
    serviceName,
    configDir,
    servicesDir: parseServicesDir(values, configDir),
    port,
    host: values("host") ?? "0.0.0.0",
    logLevel,
    storage,
    admin,
    timeouts,
    metricsPort,
    trustedProxies: parseTrustedProxies(values),
    externalUrl: parseExternalUrl(values),
  };
}

export function parseFlags(argv: readonly string[], env: NodeJS.ProcessEnv): ParseResult {
  try {
    const values = readFlags(callbackApiFlags, argv, env);
    if (values("help") === "true") return { kind: "help" };
    return { kind: "config", config: parseConfig(values) };
  } catch (error) {
    if (error instanceof FlagError) return { kind: "error", message: error.message };
    throw error;
  }
}
