// `callback-operator callback-api ...`: parse flags, wire the real dependencies, listen, and shut
// down gracefully (in-flight requests and POSTs finish; the store closes last).
import { randomUUID } from "node:crypto";
import { mkdir, readFile, stat } from "node:fs/promises";
import { hostname } from "node:os";
import { pino } from "pino";
import { buildApp } from "./app.ts";
import { serviceCredentials } from "./auth.ts";
import { parseFlags, usage, type CliConfig } from "./cli-flags.ts";
import { systemClock } from "../runtime/clock.ts";
import { ConfigDirWatcher, readConfigDir } from "./config-dir.ts";
import { pgliteDatabase, postgresDatabase, type Database } from "./database.ts";
import { Dispatcher } from "./dispatcher.ts";
import { Metrics } from "./metrics.ts";
import { startMetricsServer } from "./metrics-server.ts";
import { migrate } from "./migrations.ts";
import { resolveOptions, type ServiceOptions } from "./options.ts";
import { Store } from "./store.ts";

const SHUTDOWN_GRACE_MS = 25_000;

function fail(message: string): void {
  process.stderr.write(`callback-api: ${message}\n`);
  process.exitCode = 2;
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

async function openDatabase(storage: CliConfig["storage"]): Promise<Database> {
  if (storage.kind === "postgres") return postgresDatabase(storage.url, storage.poolSize);
  if (storage.kind === "memory") return pgliteDatabase(undefined);
  await mkdir(storage.dataDir, { recursive: true });
  return pgliteDatabase(storage.dataDir);
}

async function readSecretFile(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, "utf8")).replace(/\r?\n$/, "");
  } catch {
    return undefined;
  }
}

export async function run(argv: string[]): Promise<void> {
  try {
    await start(argv);
  } catch (error) {
    // Start-up failures (database unreachable, data directory unusable) get one line, not a trace.
    process.stderr.write(
      `callback-api: could not start: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exitCode = 1;
  }
}

async function start(argv: string[]): Promise<void> {
  const parsed = parseFlags(argv, process.env);
  if (parsed.kind === "help") {
    process.stdout.write(usage());
    return;
  }
  if (parsed.kind === "error") {
    fail(parsed.message);
    return;
  }
  const config = parsed.config;
  if (!(await isDirectory(config.configDir))) {
    fail(
      `--config-dir ${config.configDir} is not a readable directory: mount the service ConfigMap there or fix the path`,
    );
    return;
  }
  const log = pino({ level: config.logLevel, base: { service: config.serviceName } });
  const rawOptions = await readConfigDir(config.configDir);
  let options: ServiceOptions = resolveOptions(config.serviceName, rawOptions);
  const credentials = serviceCredentials(options);
  if (credentials.kind === "invalid") {
    fail(
      `service ${config.serviceName}: ${credentials.problem} (in --config-dir ${config.configDir})`,
    );
    return;
  }
  for (const warning of options.warnings) log.warn({ warning }, "Option ignored");

  const db = await openDatabase(config.storage);
  const migration = await migrate(db);
  log.info(
    { engine: db.kind, applied: migration.applied, version: migration.version },
    "Migrated store",
  );
  const store = new Store(db);
  await store.registerService(
    { name: config.serviceName, serviceGroups: options._service_groups },
    systemClock.now(),
  );

  const watcher = new ConfigDirWatcher(rawOptions, {
    dir: config.configDir,
    onChange: (raw) => {
      const next = resolveOptions(config.serviceName, raw);
      const changed = serviceCredentials(next);
      if (changed.kind === "invalid") {
        // Never opened up by a half-written section: the previous options stay in force.
        log.error(
          { problem: changed.problem },
          "Reloaded options refused; keeping the last options",
        );
        return;
      }
      options = next;
      for (const warning of options.warnings) log.warn({ warning }, "Option ignored");
      log.info({ options: Object.keys(raw).length }, "Reloaded options");
      store
        .registerService(
          { name: config.serviceName, serviceGroups: options._service_groups },
          systemClock.now(),
        )
        .catch((error: unknown) => {
          log.error({ err: error }, "Could not record service groups");
        });
    },
    onError: (error) => {
      log.error({ err: error }, "Could not read config directory; keeping the last options");
    },
  });
  watcher.start();

  const metrics = new Metrics({ defaultMetrics: true });
  const dispatcher = new Dispatcher({
    store,
    clock: systemClock,
    options: () => options,
    log: log.child({ component: "dispatcher" }),
    metrics,
    workerId: `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`,
  });
  let ready = false;
  const admin = config.admin;
  const app = await buildApp({
    store,
    serviceName: config.serviceName,
    options: () => options,
    clock: systemClock,
    admin:
      admin === undefined
        ? undefined
        : { username: admin.username, password: () => readSecretFile(admin.passwordFile) },
    logger: log,
    metrics,
    onCallbackDue: () => {
      dispatcher.wake();
    },
    ready: () => ready,
    timeouts: config.timeouts,
    trustedProxies: config.trustedProxies,
    externalUrl: config.externalUrl,
  });
  const metricsServer = await startMetricsServer(metrics, config.host, config.metricsPort);

  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "Shutting down");
    const force = setTimeout(() => {
      log.error("Shutdown took too long; exiting");
      process.exit(1);
    }, SHUTDOWN_GRACE_MS);
    force.unref();
    ready = false;
    watcher.close();
    await app.close();
    await metricsServer.close();
    await dispatcher.stop();
    await db.close();
    log.info("Stopped");
  };
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => {
      void shutdown(signal);
    });
  }

  const address = await app.listen({ host: config.host, port: config.port });
  dispatcher.start();
  ready = true;
  const port = app.server.address();
  log.info({ metricsPort: metricsServer.port }, "Metrics listening");
  log.info(
    { address, port: typeof port === "object" && port !== null ? port.port : config.port },
    "Callback API listening",
  );
}
