// `callback-operator callback-api entry`: flags → upstream table (given, or discovered from the
// cluster's CallbackServices) → the entry point's server, until SIGTERM.
import { pino } from "pino";
import { FlagError } from "../../runtime/flags.ts";
import { KubeClient } from "../../runtime/kube-client.ts";
import { checkAdminPassword, readSecretFile } from "../admin-password.ts";
import {
  accessOrFailure,
  asStartFailure,
  exitNow,
  listenFailure,
  StartFailure,
} from "../start-failure.ts";
import { buildEntryApp } from "./app.ts";
import { DiscoveredUpstreams } from "./discovery.ts";
import { entryUsage, parseEntryFlags, type EntryConfig } from "./flags.ts";
import { Forwarder } from "./forward.ts";
import { staticTable, type UpstreamTable } from "./upstreams.ts";
import { stopOnSignals } from "../../runtime/shutdown.ts";

/** Largest answer read from one Callback API: a full query page of big records, with room. */
const MAX_ANSWER_BYTES = 64 * 1024 * 1024;

export async function runEntry(argv: readonly string[]): Promise<void> {
  let config: EntryConfig | "help";
  try {
    config = parseEntryFlags(argv, process.env);
  } catch (error) {
    if (error instanceof FlagError) exitNow(`callback-api entry: ${error.message}`, 2);
    throw error;
  }
  if (config === "help") {
    process.stdout.write(entryUsage());
    return;
  }
  try {
    await start(config);
  } catch (error) {
    const failure = asStartFailure(error);
    exitNow(`callback-api entry: could not start: ${failure.message}`, failure.exitCode);
  }
}

function kubeClient(kubeconfig: string | undefined): KubeClient {
  const cluster = accessOrFailure(kubeconfig);
  if (cluster === undefined) {
    throw new StartFailure(
      "no Kubernetes cluster configured for the discovery: set --kubeconfig or KUBECONFIG, run in a pod, or give --upstreams",
      2,
    );
  }
  return new KubeClient(cluster, undefined, { userAgent: "callback-operator-entry" });
}

async function start(config: EntryConfig): Promise<void> {
  if (config.admin !== undefined) await checkAdminPassword(config.admin.passwordFile);
  const log = pino({ level: config.logLevel, base: { component: "callback-entry" } });
  const stop = new AbortController();
  let table: UpstreamTable;
  let ready: () => boolean = () => true;
  let client: KubeClient | undefined;
  if (config.upstreams.kind === "static") {
    table = staticTable(config.upstreams.list);
    log.info({ upstreams: config.upstreams.list.map((u) => u.name) }, "Upstreams given");
  } else {
    client = kubeClient(config.upstreams.kubeconfig);
    const discovered = new DiscoveredUpstreams(client, {
      namespaces: config.upstreams.namespaces,
      clusterDomain: config.upstreams.clusterDomain,
      log: log.child({ component: "discovery" }),
    });
    table = discovered;
    ready = () => discovered.synced;
    void discovered.start(stop.signal).then(() => {
      if (!stop.signal.aborted)
        log.info({ upstreams: discovered.current().map((u) => u.name) }, "Upstreams discovered");
    });
  }
  const forwarder = new Forwarder({
    timeoutMs: config.upstreamTimeoutMs,
    parallel: config.parallelism,
    maxAnswerBytes: MAX_ANSWER_BYTES,
  });
  const admin = config.admin;
  const app = buildEntryApp({
    upstreams: table,
    forwarder,
    admin:
      admin === undefined
        ? undefined
        : { username: admin.username, password: () => readSecretFile(admin.passwordFile) },
    ready,
    logger: log,
  });

  stopOnSignals(log, async () => {
    stop.abort();
    await app.close();
    await forwarder.close();
    await client?.close();
  });
  const address = await app
    .listen({ host: config.host, port: config.port })
    .catch((error: unknown) => {
      throw listenFailure("--port", config.host, config.port, error);
    });
  const port = app.server.address();
  log.info(
    { address, port: typeof port === "object" && port !== null ? port.port : config.port },
    "Entry point listening",
  );
}
