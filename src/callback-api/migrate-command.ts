// `callback-operator callback-api migrate`: moves one service's callbacks between embedded PGlite
// (a data directory) and PostgreSQL (a URL), either way, with counts and checksums verified
// (copy-service.ts). Run it with the service's Deployment scaled to 0: one writer at a time.
import { createHash } from "node:crypto";
import { stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { FlagError, flagHelp, readFlags, type Flag, type FlagValues } from "../runtime/flags.ts";
import {
  copyService,
  TargetNotEmptyError,
  UnknownServiceError,
  VerificationError,
} from "./copy-service.ts";
import { DEFAULT_POOL_SIZE, type Database } from "./database.ts";
import { describeStore, openStore, type StoreChoice } from "./open-store.ts";
import { asStartFailure, errorLine, exitNow, StartFailure } from "./start-failure.ts";

export const migrateFlags: readonly Flag[] = [
  {
    name: "service-name",
    env: "CALLBACK_API_SERVICE_NAME",
    help: "The service whose callbacks, throttle counters, access-number bookings and service entry move. Required.",
  },
  {
    name: "from-data-dir",
    env: "CALLBACK_API_MIGRATE_FROM_DATA_DIR",
    help: "Source: the service's embedded PGlite data directory (its --data-dir).",
  },
  {
    name: "from-database-url",
    env: "CALLBACK_API_MIGRATE_FROM_DATABASE_URL",
    help: "Source: the PostgreSQL URL the service uses (its --database-url).",
  },
  {
    name: "to-data-dir",
    env: "CALLBACK_API_MIGRATE_TO_DATA_DIR",
    help: "Target: an embedded PGlite data directory, created when missing.",
  },
  {
    name: "to-database-url",
    env: "CALLBACK_API_MIGRATE_TO_DATABASE_URL",
    help: "Target: a PostgreSQL URL; the tables are created when missing.",
  },
  {
    name: "replace",
    env: "CALLBACK_API_MIGRATE_REPLACE",
    help: "Delete the service's records already in the target, in the same transaction; without it such a target is refused.",
    boolean: true,
  },
  { name: "help", env: "", help: "Print this help.", boolean: true },
];

function usage(): string {
  return `Usage: callback-operator callback-api migrate --service-name NAME
       (--from-data-dir DIR | --from-database-url URL) (--to-database-url URL | --to-data-dir DIR) [--replace]

Copies one service's records from one store to another in one transaction on the target, and
checks row counts and SHA-256 checksums of what the target holds before committing. The source is
only read (its schema is brought up to date first, as the server does at start). Scale the
service's Deployment to 0 first: records written to the source afterwards are not copied.

Flags (each also read from the environment variable shown):
${flagHelp(migrateFlags)}
`;
}

export interface MigrateConfig {
  readonly serviceName: string;
  readonly from: StoreChoice;
  readonly to: StoreChoice;
  readonly replace: boolean;
}

export type MigrateParse =
  | { readonly kind: "config"; readonly config: MigrateConfig }
  | { readonly kind: "help" }
  | { readonly kind: "error"; readonly message: string };

const SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/;

function storeFlag(values: FlagValues, side: "from" | "to"): StoreChoice {
  const dirFlag = `${side}-data-dir`;
  const urlFlag = `${side}-database-url`;
  const dataDir = values(dirFlag);
  const url = values(urlFlag);
  if (dataDir !== undefined && url !== undefined) {
    throw new FlagError(
      `--${dirFlag} and --${urlFlag} exclude each other: choose one ${side} store`,
    );
  }
  if (url !== undefined) {
    if (!/^postgres(ql)?:\/\//.test(url)) {
      throw new FlagError(`--${urlFlag} must start with postgres:// or postgresql://`);
    }
    return {
      storage: { kind: "postgres", url, poolSize: DEFAULT_POOL_SIZE },
      flag: `--${urlFlag}`,
    };
  }
  if (dataDir !== undefined) return { storage: { kind: "pglite", dataDir }, flag: `--${dirFlag}` };
  throw new FlagError(
    `no ${side} store: pass --${dirFlag} DIR (embedded PGlite) or --${urlFlag} URL (PostgreSQL)`,
  );
}

/** Where a store is, for telling two apart: the resolved directory, or host:port/database. */
function location({ storage }: StoreChoice): string {
  if (storage.kind === "pglite") return `dir:${resolve(storage.dataDir)}`;
  if (storage.kind === "memory") return "memory";
  try {
    const url = new URL(storage.url);
    return `pg:${url.hostname}:${url.port === "" ? "5432" : url.port}${url.pathname}`;
  } catch {
    return `pg:${storage.url}`;
  }
}

export function parseMigrateFlags(argv: readonly string[], env: NodeJS.ProcessEnv): MigrateParse {
  try {
    const values = readFlags(migrateFlags, argv, env);
    if (values("help") === "true") return { kind: "help" };
    const serviceName = values("service-name");
    if (serviceName === undefined) {
      throw new FlagError(
        "--service-name is required: pass --service-name NAME (the service's name) or set CALLBACK_API_SERVICE_NAME",
      );
    }
    if (!SERVICE_NAME.test(serviceName)) {
      throw new FlagError(
        `--service-name "${serviceName}" is invalid: use letters, digits, ".", "_" and "-" (at most 253)`,
      );
    }
    const from = storeFlag(values, "from");
    const to = storeFlag(values, "to");
    if (location(from) === location(to)) {
      throw new FlagError(
        `${from.flag} and ${to.flag} name the same store: the target must be another directory or database`,
      );
    }
    const replace = values("replace");
    if (replace !== undefined && replace !== "true" && replace !== "false") {
      throw new FlagError(
        `--replace takes no value (CALLBACK_API_MIGRATE_REPLACE must be true or false, not "${replace}")`,
      );
    }
    return { kind: "config", config: { serviceName, from, to, replace: replace === "true" } };
  } catch (error) {
    if (error instanceof FlagError) return { kind: "error", message: error.message };
    throw error;
  }
}

/** A source data directory must hold a store: opening an empty one would create it, and copy nothing. */
async function checkSourceDir(from: StoreChoice): Promise<void> {
  if (from.storage.kind !== "pglite") return;
  const dir = from.storage.dataDir;
  const isStore = await stat(join(dir, "PG_VERSION")).then(
    (info) => info.isFile(),
    () => false,
  );
  if (!isStore) {
    throw new StartFailure(
      `${from.flag} ${dir} holds no PGlite store (no PG_VERSION file): point it at the service's data directory, the server's --data-dir`,
    );
  }
}

async function migrateService(config: MigrateConfig): Promise<string> {
  await checkSourceDir(config.from);
  const started = performance.now();
  const opened: Database[] = [];
  try {
    const from = await openStore(config.from);
    opened.push(from.db);
    const to = await openStore(config.to);
    opened.push(to.db);
    const copied = await copyService(from.db, to.db, config.serviceName, {
      replace: config.replace,
    }).catch((error: unknown) => {
      throw copyFailure(config, error);
    });
    const rows = (table: string): number => copied.find((c) => c.table === table)?.rows ?? 0;
    const checksum = createHash("sha256")
      .update(copied.map((c) => c.sha256).join("\n"))
      .digest("hex")
      .slice(0, 16);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    return `service ${config.serviceName}: copied ${String(rows("callbacks"))} callbacks, ${String(rows("throttle_counters"))} throttle counters, ${String(rows("access_bookings"))} access-number bookings and ${String(rows("services"))} service entry from ${describeStore(config.from)} to ${describeStore(config.to)} in ${seconds} s; row counts and checksums verified in the target (sha256 ${checksum})`;
  } finally {
    for (const db of opened) await db.close().catch(() => undefined);
  }
}

function copyFailure(config: MigrateConfig, error: unknown): StartFailure {
  const target = describeStore(config.to);
  if (error instanceof TargetNotEmptyError) {
    return new StartFailure(
      `${target} already holds records of service ${config.serviceName} (${error.message}): nothing was copied; add --replace to delete them in the same transaction, or choose another target`,
    );
  }
  if (error instanceof UnknownServiceError) {
    return new StartFailure(
      `${describeStore(config.from)} holds nothing of service ${config.serviceName} (services there: ${error.message}): check --service-name; nothing was copied`,
    );
  }
  if (error instanceof VerificationError) {
    return new StartFailure(
      `the copy to ${target} did not verify (${error.message}): nothing was committed; is the service still running? Scale it to 0 and retry`,
    );
  }
  return new StartFailure(
    `copying service ${config.serviceName} to ${target} failed: ${errorLine(error)}: nothing was committed; fix the cause and retry`,
  );
}

export async function runMigrate(argv: readonly string[]): Promise<void> {
  const parsed = parseMigrateFlags(argv, process.env);
  if (parsed.kind === "help") {
    process.stdout.write(usage());
    return;
  }
  if (parsed.kind === "error") exitNow(`callback-api migrate: ${parsed.message}`, 2);
  try {
    process.stdout.write(`callback-api migrate: ${await migrateService(parsed.config)}\n`);
  } catch (error) {
    const failure = asStartFailure(error);
    exitNow(`callback-api migrate: ${failure.message}`, failure.exitCode);
  }
}
