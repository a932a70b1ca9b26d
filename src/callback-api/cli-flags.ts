// Flags of `callback-operator callback-api`, each with an environment twin. Pure: main.ts prints the
// one-line error and exits 2; tests call this directly.
import { isIP } from "node:net";
import { csv } from "../api/gms-option-readers.ts";

export interface CliConfig {
  readonly serviceName: string;
  readonly configDir: string;
  readonly port: number;
  readonly host: string;
  readonly storage:
    | { readonly kind: "postgres"; readonly url: string; readonly poolSize: number }
    | { readonly kind: "pglite"; readonly dataDir: string }
    | { readonly kind: "memory" };
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

export const DEFAULT_METRICS_PORT = 9464;

/** Server-side limits on slow or idle clients, in ms (`--request-timeout` and its siblings). */
export interface HttpTimeouts {
  /** The whole request, headers and body, must have arrived within this; else 408. */
  readonly requestMs: number;
  /** The headers must have arrived within this from the first byte (or the connection); else 408. */
  readonly headersMs: number;
  /** A socket with no traffic either way for this long is closed. */
  readonly connectionMs: number;
  /** An idle keep-alive connection is closed after this. */
  readonly keepAliveMs: number;
}

export const DEFAULT_TIMEOUTS: HttpTimeouts = {
  requestMs: 30_000,
  headersMs: 10_000,
  connectionMs: 30_000,
  // Longer than the 60 s idle timeout of common load balancers, so that they close first.
  keepAliveMs: 65_000,
};

const TIMEOUT_FLAGS = {
  "--request-timeout": "requestMs",
  "--headers-timeout": "headersMs",
  "--connection-timeout": "connectionMs",
  "--keep-alive-timeout": "keepAliveMs",
} as const satisfies Record<string, keyof HttpTimeouts>;

export type ParseResult =
  | { readonly kind: "config"; readonly config: CliConfig }
  | { readonly kind: "help" }
  | { readonly kind: "error"; readonly message: string };

/** Connections one replica holds open to PostgreSQL unless --database-pool-size says otherwise. */
export const DEFAULT_POOL_SIZE = 10;

interface FlagSpec {
  readonly env: string;
  readonly value: boolean;
  readonly help: string;
}

const FLAGS: Readonly<Record<string, FlagSpec>> = {
  "--service-name": {
    env: "CALLBACK_API_SERVICE_NAME",
    value: true,
    help: "GMS service name ({callback-execution-name} in the API paths). Required.",
  },
  "--config-dir": {
    env: "CALLBACK_API_CONFIG_DIR",
    value: true,
    help: "Directory of option files (the mounted ConfigMap: one file per option). Required.",
  },
  "--port": {
    env: "CALLBACK_API_PORT",
    value: true,
    help: "TCP port for the API and probes. Default 8080.",
  },
  "--host": {
    env: "CALLBACK_API_HOST",
    value: true,
    help: "Address to listen on. Default 0.0.0.0.",
  },
  "--database-url": {
    env: "CALLBACK_API_DATABASE_URL",
    value: true,
    help: "PostgreSQL URL (postgres://user:pass@host:5432/db). Shared by replicas.",
  },
  "--database-pool-size": {
    env: "CALLBACK_API_DATABASE_POOL_SIZE",
    value: true,
    help: `Connections in the PostgreSQL pool (1-1000). Default ${DEFAULT_POOL_SIZE}.`,
  },
  "--data-dir": {
    env: "CALLBACK_API_DATA_DIR",
    value: true,
    help: "Embedded PGlite data directory, used when no --database-url is given.",
  },
  "--in-memory": {
    env: "CALLBACK_API_IN_MEMORY",
    value: false,
    help: "Embedded PGlite in memory: every callback is lost on exit. Only when asked.",
  },
  "--admin-username": {
    env: "CALLBACK_API_ADMIN_USERNAME",
    value: true,
    help: "User name for the /genesys/1/admin endpoints (HTTP Basic).",
  },
  "--admin-password-file": {
    env: "CALLBACK_API_ADMIN_PASSWORD_FILE",
    value: true,
    help: "File holding the admin password (a mounted Secret); re-read on each request.",
  },
  "--request-timeout": {
    env: "CALLBACK_API_REQUEST_TIMEOUT",
    value: true,
    help: `Seconds for a whole request (headers and body) to arrive, else 408. Default ${DEFAULT_TIMEOUTS.requestMs / 1000}.`,
  },
  "--headers-timeout": {
    env: "CALLBACK_API_HEADERS_TIMEOUT",
    value: true,
    help: `Seconds for the request headers to arrive, else 408. Default ${DEFAULT_TIMEOUTS.headersMs / 1000}.`,
  },
  "--connection-timeout": {
    env: "CALLBACK_API_CONNECTION_TIMEOUT",
    value: true,
    help: `Seconds a connection may stay silent (no byte either way) before it is closed. Default ${DEFAULT_TIMEOUTS.connectionMs / 1000}.`,
  },
  "--keep-alive-timeout": {
    env: "CALLBACK_API_KEEP_ALIVE_TIMEOUT",
    value: true,
    help: `Seconds an idle keep-alive connection stays open. Default ${DEFAULT_TIMEOUTS.keepAliveMs / 1000}.`,
  },
  "--metrics-port": {
    env: "CALLBACK_API_METRICS_PORT",
    value: true,
    help: `TCP port for /metrics (Prometheus), on --host; 0 picks a free port. Default ${DEFAULT_METRICS_PORT}.`,
  },
  "--trusted-proxies": {
    env: "CALLBACK_API_TRUSTED_PROXIES",
    value: true,
    help: "Comma-separated addresses or CIDRs of reverse proxies whose X-Forwarded-For/-Host/-Proto are believed. Default none.",
  },
  "--external-url": {
    env: "CALLBACK_API_EXTERNAL_URL",
    value: true,
    help: "http(s)://host[:port] clients reach the API at: the origin of record URLs. Default: the request's Host.",
  },
  "--log-level": {
    env: "CALLBACK_API_LOG_LEVEL",
    value: true,
    help: "fatal, error, warn, info, debug or trace. Default info.",
  },
  "--help": { env: "", value: false, help: "Print this help." },
};

export function usage(): string {
  const lines = Object.entries(FLAGS).map(([flag, spec]) => {
    const name = spec.value ? `${flag} VALUE` : flag;
    const env = spec.env === "" ? "" : ` [env ${spec.env}]`;
    return `  ${name.padEnd(28)} ${spec.help}${env}`;
  });
  return `Usage: callback-operator callback-api --service-name NAME --config-dir DIR [--port PORT]
       [--database-url URL [--database-pool-size N] | --data-dir DIR | --in-memory] [--admin-username USER --admin-password-file FILE]

Serves the GMS Callback API of one service.

Flags (each also read from the environment variable shown):
${lines.join("\n")}
`;
}

const SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/;
const LOG_LEVELS = new Set(["fatal", "error", "warn", "info", "debug", "trace", "silent"]);

function readArgv(argv: readonly string[]): Map<string, string> | string {
  const given = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    const eq = arg.indexOf("=");
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const spec = Object.hasOwn(FLAGS, flag) ? FLAGS[flag] : undefined;
    if (spec === undefined) return `unknown flag "${arg}"; run with --help to list the flags`;
    if (!spec.value) {
      if (eq > 0) return `${flag} takes no value; write just ${flag}`;
      given.set(flag, "true");
      continue;
    }
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || (eq < 0 && value.startsWith("--")))
      return `${flag} needs a value: ${flag} VALUE`;
    given.set(flag, value);
  }
  return given;
}

type Getter = (flag: string) => string | undefined;
type Part<T> = { readonly value: T } | { readonly error: string };

function parseStorage(get: Getter): Part<CliConfig["storage"]> {
  const url = get("--database-url");
  const dataDir = get("--data-dir");
  const inMemory = get("--in-memory");
  if (inMemory !== undefined && inMemory !== "true" && inMemory !== "false") {
    return {
      error: `--in-memory takes no value (CALLBACK_API_IN_MEMORY must be true or false, not "${inMemory}")`,
    };
  }
  const memory = inMemory === "true";
  if ([url !== undefined, dataDir !== undefined, memory].filter(Boolean).length > 1) {
    return {
      error: "--database-url, --data-dir and --in-memory exclude each other: choose one storage",
    };
  }
  const poolSize = get("--database-pool-size");
  if (poolSize !== undefined && url === undefined) {
    return { error: "--database-pool-size applies to --database-url only: drop it or add the URL" };
  }
  if (
    poolSize !== undefined &&
    (!/^\d{1,4}$/.test(poolSize) || +poolSize < 1 || +poolSize > 1000)
  ) {
    return { error: `--database-pool-size "${poolSize}" is invalid: use a number from 1 to 1000` };
  }
  if (url !== undefined) {
    return /^postgres(ql)?:\/\//.test(url)
      ? { value: { kind: "postgres", url, poolSize: Number(poolSize ?? DEFAULT_POOL_SIZE) } }
      : { error: "--database-url must start with postgres:// or postgresql://" };
  }
  if (dataDir !== undefined) return { value: { kind: "pglite", dataDir } };
  if (memory) return { value: { kind: "memory" } };
  return {
    error:
      "no storage chosen: pass --database-url URL (PostgreSQL), --data-dir DIR (embedded PGlite) or --in-memory",
  };
}

function parseAdmin(get: Getter): Part<CliConfig["admin"]> {
  const username = get("--admin-username");
  const passwordFile = get("--admin-password-file");
  if (username === undefined && passwordFile === undefined) return { value: undefined };
  if (username === undefined || passwordFile === undefined) {
    return {
      error: "--admin-username and --admin-password-file go together: pass both or neither",
    };
  }
  return { value: { username, passwordFile } };
}

function parseTimeouts(get: Getter): Part<HttpTimeouts> {
  const timeouts: Record<keyof HttpTimeouts, number> = { ...DEFAULT_TIMEOUTS };
  for (const [flag, key] of Object.entries(TIMEOUT_FLAGS)) {
    const value = get(flag);
    if (value === undefined) continue;
    const seconds = /^\d{1,4}(\.\d{1,3})?$/.test(value) ? Number(value) : NaN;
    if (!(seconds >= 0.1 && seconds <= 3600)) {
      return {
        error: `${flag} "${value}" is invalid: use seconds from 0.1 to 3600, such as 30 or 2.5`,
      };
    }
    timeouts[key] = Math.round(seconds * 1000);
  }
  if (timeouts.headersMs > timeouts.requestMs) {
    return {
      error: `--headers-timeout (${timeouts.headersMs / 1000} s) exceeds --request-timeout (${timeouts.requestMs / 1000} s): the headers are part of the request`,
    };
  }
  return { value: timeouts };
}

type Exposure = Pick<CliConfig, "metricsPort" | "trustedProxies" | "externalUrl">;

function isProxyAddress(entry: string): boolean {
  const [address = "", prefix, ...rest] = entry.split("/");
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

function parseExposure(get: Getter, apiPort: number): Part<Exposure> {
  const metricsPort = get("--metrics-port") ?? String(DEFAULT_METRICS_PORT);
  if (!/^\d{1,5}$/.test(metricsPort) || Number(metricsPort) > 65535) {
    return { error: `--metrics-port "${metricsPort}" is invalid: use a number from 0 to 65535` };
  }
  if (Number(metricsPort) !== 0 && Number(metricsPort) === apiPort) {
    return {
      error: `--metrics-port ${metricsPort} is the API's --port: metrics are served on a port of their own`,
    };
  }
  const trustedProxies = csv(get("--trusted-proxies"));
  const badProxy = trustedProxies.find((entry) => !isProxyAddress(entry));
  if (badProxy !== undefined) {
    return {
      error: `--trusted-proxies "${badProxy}" is not an address or CIDR: use e.g. 10.0.0.0/8,192.168.1.10`,
    };
  }
  const externalUrl = get("--external-url");
  if (externalUrl !== undefined) {
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
      return {
        error: `--external-url "${externalUrl}" is invalid: use http(s)://host[:port] with no path, such as https://callbacks.example.com`,
      };
    }
  }
  return { value: { metricsPort: Number(metricsPort), trustedProxies, externalUrl } };
}

function parseBasics(
  get: Getter,
): Part<Omit<CliConfig, "storage" | "admin" | "timeouts" | keyof Exposure>> {
  const serviceName = get("--service-name");
  if (serviceName === undefined) {
    return {
      error:
        "--service-name is required: pass --service-name NAME or set CALLBACK_API_SERVICE_NAME",
    };
  }
  if (!SERVICE_NAME.test(serviceName)) {
    return {
      error: `--service-name "${serviceName}" is invalid: use letters, digits, ".", "_" and "-" (at most 253)`,
    };
  }
  const configDir = get("--config-dir");
  if (configDir === undefined) {
    return {
      error:
        "--config-dir is required: pass --config-dir DIR (the mounted ConfigMap) or set CALLBACK_API_CONFIG_DIR",
    };
  }
  const port = get("--port") ?? "8080";
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) {
    return { error: `--port "${port}" is invalid: use a number from 0 to 65535` };
  }
  const logLevel = get("--log-level") ?? "info";
  if (!LOG_LEVELS.has(logLevel)) {
    return {
      error: `--log-level "${logLevel}" is invalid: use fatal, error, warn, info, debug, trace or silent`,
    };
  }
  return {
    value: {
      serviceName,
      configDir,
      port: Number(port),
      host: get("--host") ?? "0.0.0.0",
      logLevel,
    },
  };
}

export function parseFlags(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): ParseResult {
  const given = readArgv(argv);
  if (typeof given === "string") return { kind: "error", message: given };
  if (given.has("--help")) return { kind: "help" };
  const get: Getter = (flag) => {
    const fromArgv = given.get(flag);
    if (fromArgv !== undefined) return fromArgv;
    const envName = FLAGS[flag]?.env ?? "";
    const fromEnv = envName === "" ? undefined : env[envName];
    return fromEnv === "" ? undefined : fromEnv;
  };
  const basics = parseBasics(get);
  if ("error" in basics) return { kind: "error", message: basics.error };
  const storage = parseStorage(get);
  if ("error" in storage) return { kind: "error", message: storage.error };
  const admin = parseAdmin(get);
  if ("error" in admin) return { kind: "error", message: admin.error };
  const timeouts = parseTimeouts(get);
  if ("error" in timeouts) return { kind: "error", message: timeouts.error };
  const exposure = parseExposure(get, basics.value.port);
  if ("error" in exposure) return { kind: "error", message: exposure.error };
  return {
    kind: "config",
    config: {
      ...basics.value,
      ...exposure.value,
      storage: storage.value,
      admin: admin.value,
      timeouts: timeouts.value,
    },
  };
}
