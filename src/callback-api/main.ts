// `callback-operator callback-api ...`: parse flags, wire the real dependencies, listen, and shut
// down gracefully (in-flight requests and POSTs finish; the store closes last).
import { randomUUID } from "node:crypto";
import { stat } from "node:fs/promises";
import { hostname } from "node:os";
import { pino } from "pino";
import { checkAdminPassword, readSecretFile } from "./admin-password.ts";
import { buildApp } from "./app.ts";
import { serviceCredentials } from "./auth.ts";
import { parseFlags, usage } from "./cli-flags.ts";
import { systemClock } from "../runtime/clock.ts";
import { ConfigDirWatcher, readConfigDir, type RawOptions } from "./config-dir.ts";
import { Dispatcher } from "./dispatcher.ts";
import { Metrics } from "./metrics.ts";
import { startMetricsServer } from "./metrics-server.ts";
import { describeStore, openStore } from "./open-store.ts";
import { linkedServices, linkedWarnings } from "./linked-services.ts";
import { resolveOptions, type ServiceOptions } from "./options.ts";
import { linkedNames, ServiceSections } from "./service-sections.ts";
import {
  asStartFailure,
  exitNow,
  firstLine,
  listenFailure,
  StartFailure,
} from "./start-failure.ts";
import { Store } from "./store.ts";
import { stopOnSignals } from "../runtime/shutdown.ts";

export async function run(argv: string[]): Promise<void> {
  if (argv[0] === "migrate") {
    // Loaded only when asked for, as the commands of src/cli/main.ts are.
    const { runMigrate } = await import("./migrate-command.ts");
    await runMigrate(argv.slice(1));
    return;
  }
  if (argv[0] === "entry") {
    const { runEntry } = await import("./entry/command.ts");
    await runEntry(argv.slice(1));
    return;
  }
  try {
    await start(argv);
  } catch (error) {
    const failure = asStartFailure(error);
    exitNow(
      `callback-api: ${failure.exitCode === 1 ? "could not start: " : ""}${failure.message}`,
      failure.exitCode,
    );
  }
}

async function readOptions(configDir: string): Promise<RawOptions> {
  let isDirectory = false;
  try {
    isDirectory = (await stat(configDir)).isDirectory();
  } catch {
    // Missing, or a path through something unreadable: both answered below.
  }
  if (!isDirectory) {
    throw new StartFailure(
      `--config-dir ${configDir} is not a readable directory: mount the service ConfigMap there or fix the path`,
      2,
    );
  }
  try {
    return await readConfigDir(configDir);
  } catch (error) {
    throw new StartFailure(
      `--config-dir ${configDir} cannot be read: ${firstLine(error)}: make it and its files readable by the server's user, or fix the path`,
      2,
    );
  }
}

async function start(argv: string[]): Promise<void> {
  const parsed = parseFlags(argv, process.env);
  if (parsed.kind === "help") {
    process.stdout.write(usage());
    return;
  }
  if (parsed.kind === "error") throw new StartFailure(parsed.message, 2);
  const config = parsed.config;
  const rawOptions = await readOptions(config.configDir);
  if (config.admin !== undefined) await checkAdminPassword(config.admin.passwordFile);
  const log = pino({ level: config.logLevel, base: { service: config.serviceName } });
  let options: ServiceOptions = resolveOptions(config.serviceName, rawOptions);
  const credentials = serviceCredentials(options);
  if (credentials.kind === "invalid") {
    throw new StartFailure(
      `service ${config.serviceName}: ${credentials.problem} (in --config-dir ${config.configDir})`,
      2,
    );
  }
  for (const warning of options.warnings) log.warn({ warning }, "Option ignored");

  const choice = {
    storage: config.storage,
    flag: config.storage.kind === "postgres" ? "--database-url" : "--data-dir",
  };
  const { db, migration } = await openStore(choice);
  log.info(
    { engine: db.kind, applied: migration.applied, version: migration.version },
    "Migrated store",
  );
  const store = new Store(db);
  try {
    await store.registerService(
      { name: config.serviceName, serviceGroups: options._service_groups },
      systemClock.now(),
    );
  } catch (error) {
    throw new StartFailure(
      `${describeStore(choice)}: cannot record the service: ${firstLine(error)}: see the database's log`,
    );
  }

  // The office-hours and capacity services the options name: a missing or invalid one is logged
  // once per change; the requests that need it get a 400 that says the same.
  const sections: ServiceSections = new ServiceSections({
    servicesDir: config.servicesDir,
    onChange: () => {
      logLinked();
    },
    onError: (name, error) => {
      log.error(
        { err: error, service: name },
        "Could not read a linked service; keeping it as it was",
      );
    },
  });
  const logLinked = (): void => {
    const warnings = linkedWarnings(options, linkedServices(options, sections.lookup));
    for (const warning of warnings) log.warn({ warning }, "Linked service problem");
  };
  await sections.follow(linkedNames(options));
  logLinked();
  sections.start();

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
      void sections.follow(linkedNames(options)).then(logLinked);
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
    sections: sections.lookup,
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
  const metricsServer = await startMetricsServer(metrics, config.host, config.metricsPort).catch(
    (error: unknown) => {
      throw listenFailure("--metrics-port", config.host, config.metricsPort, error);
    },
  );

  stopOnSignals(log, async () => {
    ready = false;
    watcher.close();
    sections.close();
    await app.close();
    await metricsServer.close();
    await dispatcher.stop();
    await db.close();
  });

  const address = await app
    .listen({ host: config.host, port: config.port })
    .catch((error: unknown) => {
      throw listenFailure("--port", config.host, config.port, error);
    });
  dispatcher.start();
  ready = true;
  const port = app.server.address();
  log.info({ metricsPort: metricsServer.port }, "Metrics listening");
  log.info(
    { address, port: typeof port === "object" && port !== null ? port.port : config.port },
    "Callback API listening",
  );
}
