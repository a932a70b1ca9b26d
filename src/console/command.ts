// `callback-operator console`: flags → the cluster watch, sessions, local users and the Callback
// API client → the console's server, until SIGTERM. `console hash-password` prints a local user's
// hash line for a password read on stdin.
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { pino, type Logger } from "pino";
import { checkAdminPassword, readSecretFile } from "../callback-api/admin-password.ts";
import { Forwarder } from "../callback-api/entry/forward.ts";
import {
  accessOrFailure,
  asStartFailure,
  exitNow,
  fileFailure,
  listenFailure,
  StartFailure,
} from "../callback-api/start-failure.ts";
import { systemClock } from "../runtime/clock.ts";
import { EventRecorder } from "../runtime/event-recorder.ts";
import { FlagError } from "../runtime/flags.ts";
import { KubeClient } from "../runtime/kube-client.ts";
import { buildConsoleApp, type ClusterView } from "./app.ts";
import { Audit, consoleComponent } from "./audit.ts";
import { ConsoleCluster } from "./cluster.ts";
import { consoleUsage, parseConsoleFlags, type ConsoleConfig } from "./flags.ts";
import { hashPassword, LocalUsers } from "./local-users.ts";
import { checkClientSecret } from "./oidc.ts";
import { Sessions } from "./sessions.ts";
import { CallbackApis } from "./upstream.ts";
import { stopOnSignals } from "../runtime/shutdown.ts";

/** Largest answer read from one Callback API: 10,000 records of a listing, with room. */
const MAX_ANSWER_BYTES = 64 * 1024 * 1024;
const MIN_SESSION_KEY_BYTES = 32;

export async function run(argv: readonly string[]): Promise<void> {
  if (argv[0] === "hash-password") {
    await printHash(argv.slice(1));
    return;
  }
  let config: ConsoleConfig | "help";
  try {
    config = parseConsoleFlags(argv, process.env);
  } catch (error) {
    if (error instanceof FlagError) exitNow(`console: ${error.message}`, 2);
    throw error;
  }
  if (config === "help") {
    process.stdout.write(consoleUsage());
    return;
  }
  try {
    await start(config);
  } catch (error) {
    const failure = asStartFailure(error);
    exitNow(`console: could not start: ${failure.message}`, failure.exitCode);
  }
}

async function printHash(argv: readonly string[]): Promise<void> {
  if (argv.length > 0) {
    process.stdout.write(
      "Usage: callback-operator console hash-password < password-file\n\nReads one password on stdin and prints its scrypt hash line: store it as the file named for the user in the --local-users-dir Secret.\n",
    );
    process.exitCode = argv[0] === "--help" ? 0 : 2;
    return;
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const password = Buffer.concat(chunks)
    .toString("utf8")
    .replace(/\r?\n$/, "");
  if (password === "")
    exitNow(
      "console hash-password: no password on stdin: pipe one in, e.g. printf %s 'secret' | …",
      2,
    );
  process.stdout.write(`${await hashPassword(password)}\n`);
}

async function sessionKey(file: string | undefined, log: Logger): Promise<Buffer> {
  if (file === undefined) {
    log.warn(
      "No --session-key-file: sessions are signed with a random key made now, so they end on restart and are not shared between replicas",
    );
    return randomBytes(32);
  }
  let key: Buffer;
  try {
    key = await readFile(file);
  } catch (error) {
    throw fileFailure("--session-key-file", file, error);
  }
  if (key.length < MIN_SESSION_KEY_BYTES)
    throw new StartFailure(
      `--session-key-file ${file} holds ${key.length} bytes: use at least ${MIN_SESSION_KEY_BYTES} random bytes, e.g. head -c 48 /dev/urandom`,
      2,
    );
  return key;
}

function kubeClient(kubeconfig: string | undefined): KubeClient | undefined {
  const cluster = accessOrFailure(kubeconfig);
  if (cluster === undefined) return undefined;
  return new KubeClient(cluster, undefined, { userAgent: "callback-operator-console" });
}

const noCluster: ClusterView = { services: () => [], permissions: () => [], synced: false };

async function start(config: ConsoleConfig): Promise<void> {
  const log = pino({ level: config.logLevel, base: { component: "callback-console" } });
  if (config.admin !== undefined) await checkAdminPassword(config.admin.passwordFile);
  if (config.oidc !== undefined) await checkClientSecret(config.oidc.clientSecretFile);
  const key = await sessionKey(config.sessionKeyFile, log);
  const stop = new AbortController();
  const client = kubeClient(config.kubeconfig);
  let cluster: ClusterView = noCluster;
  if (client === undefined) {
    log.error(
      "No Kubernetes cluster configured: set --kubeconfig or KUBECONFIG, or run in a pod; the console shows no service until then",
    );
  } else {
    const watched = new ConsoleCluster(client, {
      namespaces: config.namespaces,
      clusterDomain: config.clusterDomain,
      urlOverrides: config.urlOverrides,
      log: log.child({ component: "watch" }),
    });
    cluster = watched;
    void watched.start(stop.signal).then(() => {
      if (!stop.signal.aborted)
        log.info(
          { services: watched.services().length, permissions: watched.permissions().length },
          "CallbackServices and ConsolePermissions listed",
        );
    });
  }
  if (config.localUsersDir === undefined && config.oidc === undefined) {
    log.warn(
      "No sign-in is configured, so nobody can sign in: add a local user with `printf %s 'PASSWORD' | callback-operator console hash-password > DIR/USERNAME` (in Kubernetes: a Secret with one key per user, mounted at DIR) and start the console with --local-users-dir DIR; then give the user a ConsolePermission",
    );
  }
  const forwarder = new Forwarder({
    timeoutMs: config.upstreamTimeoutMs,
    parallel: 16,
    maxAnswerBytes: MAX_ANSWER_BYTES,
  });
  const admin = config.admin;
  const app = buildConsoleApp({
    cluster,
    apis: new CallbackApis(
      forwarder,
      admin === undefined
        ? undefined
        : { username: admin.username, password: () => readSecretFile(admin.passwordFile) },
    ),
    sessions: new Sessions({
      key,
      ttlMs: config.sessionTtlMs,
      idleMs: config.sessionIdleMs,
      secure: config.externalOrigin?.startsWith("https:") ?? false,
      clock: systemClock,
    }),
    localUsers:
      config.localUsersDir === undefined ? undefined : new LocalUsers(config.localUsersDir),
    oidc: config.oidc === undefined ? undefined : { config: config.oidc, sessionKey: key },
    audit: new Audit(
      log.child({ component: "audit" }),
      client === undefined ? undefined : new EventRecorder(client, consoleComponent, log),
      systemClock,
    ),
    clock: systemClock,
    externalOrigin: config.externalOrigin,
    logger: log,
  });

  stopOnSignals(log, async () => {
    stop.abort();
    await app.close();
    await forwarder.close();
    await client?.close();
  });
  await app.listen({ host: config.host, port: config.port }).catch((error: unknown) => {
    throw listenFailure("--port", config.host, config.port, error);
  });
  const address = app.server.address();
  const port = typeof address === "object" && address !== null ? address.port : config.port;
  const host = config.host === "0.0.0.0" ? "127.0.0.1" : config.host;
  log.info({ url: config.externalOrigin ?? `http://${host}:${port}`, port }, "Console listening");
}
