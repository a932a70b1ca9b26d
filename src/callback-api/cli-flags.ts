// Flags of `callback-operator callback-api`, each with an environment twin. Pure: main.ts prints the
// one-line error and exits 2; tests call this directly.

export interface CliConfig {
  readonly serviceName: string;
  readonly configDir: string;
  readonly port: number;
  readonly host: string;
  readonly storage:
    | { readonly kind: "postgres"; readonly url: string }
    | { readonly kind: "pglite"; readonly dataDir: string }
    | { readonly kind: "memory" };
  readonly admin: { readonly username: string; readonly passwordFile: string } | undefined;
  readonly logLevel: string;
}

export type ParseResult =
  | { readonly kind: "config"; readonly config: CliConfig }
  | { readonly kind: "help" }
  | { readonly kind: "error"; readonly message: string };

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
    help: "TCP port for the API, probes and metrics. Default 8080.",
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
       [--database-url URL | --data-dir DIR | --in-memory] [--admin-username USER --admin-password-file FILE]

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
    const spec = FLAGS[flag];
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
  if (url !== undefined) {
    return /^postgres(ql)?:\/\//.test(url)
      ? { value: { kind: "postgres", url } }
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

function parseBasics(get: Getter): Part<Omit<CliConfig, "storage" | "admin">> {
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
  return {
    kind: "config",
    config: { ...basics.value, storage: storage.value, admin: admin.value },
  };
}
