// The operator process: caches, queue, workers, leader election, probes and graceful shutdown.
import { setTimeout as wait } from "node:timers/promises";
import type { Logger } from "pino";
import type { CallbackService } from "../api/callback-service.ts";
import { labelKeys, managedByValue } from "../api/group.ts";
import type { ServiceTemplate } from "../api/service-template.ts";
import type { RenderConfig } from "../render/render-config.ts";
import { stopped } from "../runtime/abort.ts";
import type { BackoffPolicy } from "../runtime/backoff.ts";
import type { Clock } from "../runtime/clock.ts";
import type { ClusterAccess } from "../runtime/cluster-access.ts";
import { EventRecorder } from "../runtime/event-recorder.ts";
import { startHealthServer } from "../runtime/health-server.ts";
import { Informer, objectKey, type InformerOptions } from "../runtime/informer.ts";
import { isNotFound, KubeClient, metadataOnly, type KubeObject } from "../runtime/kube-client.ts";
import { LeaderElector } from "../runtime/leader-election.ts";
import { createMetrics } from "../runtime/metrics.ts";
import { WorkQueue } from "../runtime/work-queue.ts";
import {
  builtinTemplateIsCurrent,
  builtinTemplateObject,
  builtinTemplates,
  keepBuiltinTemplateCurrent,
} from "./builtin-templates.ts";
import { claimantName, nameOnly } from "./child-names.ts";
import { onlyStatusChanged } from "./event-filters.ts";
import { linkedNames, ReferrerIndex } from "./linked-services.ts";
import { childKinds, collectionPath, type ChildKind, type ResourceKind } from "./resources.ts";
import { reconcileService, type ReconcilerDeps } from "./service-reconciler.ts";
import { StatusHold } from "./status-hold.ts";
import { reconcileTemplate } from "./template-reconciler.ts";

export interface OperatorOptions {
  readonly cluster: ClusterAccess;
  /** Namespaces to watch; empty means all. */
  readonly namespaces: readonly string[];
  readonly concurrency: number;
  readonly render: RenderConfig;
  readonly fieldManager: string;
  readonly leaderElection: {
    readonly enabled: boolean;
    readonly namespace: string;
    readonly name: string;
    readonly identity: string;
  };
  readonly health: { readonly host: string; readonly port: number };
  readonly installBuiltinTemplate: boolean;
  /** Retries of a failed reconcile (no jitter: controller-runtime's per-item limiter has none). */
  readonly backoff: BackoffPolicy;
  readonly watch: { readonly timeoutSeconds: number; readonly watchdogMs: number };
  readonly shutdownGraceMs: number;
  readonly log: Logger;
  readonly clock: Clock;
}

const controllerName = "callbackservice";
const serviceKey = (key: string): string => `CallbackService/${key}`;
const templateKey = (name: string): string => `ServiceTemplate/${name}`;

/** Runs until `stop` aborts (SIGTERM) or leadership is lost; resolves after a graceful drain. */
export async function runOperator(options: OperatorOptions, stop: AbortSignal): Promise<void> {
  const { log } = options;
  const metrics = createMetrics(controllerName);
  const observe = (method: string, code: number): void => {
    metrics.request(method, code);
  };
  const userAgent = `callback-operator (${options.leaderElection.identity})`;
  // Writes are fenced by the lease once elected; until then nothing reconciles, so nothing writes.
  let mayWrite = (): boolean => true;
  const { clock } = options;
  const client = new KubeClient(options.cluster, observe, {
    userAgent,
    mayWrite: () => mayWrite(),
    clock,
  });
  // Lease renewals on their own connections: they must not queue behind a burst of applies.
  const electionClient = new KubeClient(options.cluster, observe, { userAgent, clock });
  const informers = createInformers(client, options, await gatewayApiServed(client), {
    restarted: (name, reason) => {
      metrics.watchRestarted(name, reason);
    },
    relisted: (name, deleted) => {
      metrics.relisted(name, deleted);
    },
  });
  const queue = new WorkQueue({ backoff: options.backoff, clock, hooks: metrics.queueHooks });
  wireEvents(informers, queue);
  const all = [
    informers.services,
    informers.templates,
    ...informers.children.values(),
    ...informers.childNames.values(),
  ];
  const health = await startHealthServer({
    ...options.health,
    live: () => true,
    ready: () => all.every((informer) => informer.hasSynced),
    registry: metrics.registry,
  });
  const caches = new AbortController();
  const stopCaches = (): void => {
    caches.abort();
  };
  stop.addEventListener("abort", stopCaches, { once: true });
  try {
    await Promise.all(all.map((informer) => informer.start(caches.signal)));
    if (stop.aborted) return;
    log.info(
      { services: informers.services.size, templates: informers.templates.size },
      "Caches synced",
    );
    const leadership = await lead(electionClient, options, stop, (name, leading) => {
      metrics.leading(name, leading);
    });
    if (leadership === undefined) return;
    mayWrite = leadership.holdsFreshLease;
    const events = new EventRecorder(client, "callback-operator", log, clock);
    // From the synced cache: a restart of the same version sends no request at all.
    if (options.installBuiltinTemplate) {
      const builtinDeps = { client, fieldManager: options.fieldManager, events, log, clock };
      for (const template of builtinTemplates) {
        const desired = builtinTemplateObject(template);
        if (!builtinTemplateIsCurrent(informers.templates.get(template.metadata.name), desired))
          void keepBuiltinTemplateCurrent(builtinDeps, desired, stop);
      }
    }
    for (const template of informers.templates.list())
      queue.add(templateKey(template.metadata.name));
    for (const service of informers.services.list()) queue.add(serviceKey(objectKey(service)));
    const deps: ReconcilerDeps = {
      client,
      ...informers,
      config: options.render,
      fieldManager: options.fieldManager,
      events,
      log,
      clock,
      statusHold: new StatusHold(),
    };
    const workers = Array.from({ length: options.concurrency }, () =>
      work(queue, deps, metrics, options.concurrency),
    );
    const stoppedBy = new Promise<"stop" | "lost">((resolve) => {
      stop.addEventListener(
        "abort",
        () => {
          resolve("stop");
        },
        { once: true },
      );
      leadership.lost.addEventListener(
        "abort",
        () => {
          resolve("lost");
        },
        { once: true },
      );
    });
    const why = stopped(stop) ? "stop" : await stoppedBy;
    log.info(
      { reason: why },
      why === "stop" ? "Shutting down: draining in-flight reconciles" : "Leadership lost: stopping",
    );
    queue.shutDown();
    await Promise.race([
      Promise.all(workers),
      wait(options.shutdownGraceMs, undefined, { ref: false }),
    ]);
    await leadership.release();
    if (why === "lost") throw new Error("Leadership lost");
  } finally {
    stop.removeEventListener("abort", stopCaches);
    caches.abort();
    await new Promise((resolve) => health.close(resolve));
    await client.close();
    await electionClient.close();
  }
}

interface Informers {
  readonly services: Informer<CallbackService>;
  readonly templates: Informer<ServiceTemplate>;
  readonly children: ReadonlyMap<ChildKind, Informer<KubeObject>>;
  readonly childNames: ReadonlyMap<ChildKind, Informer<KubeObject>>;
}

function createInformers(
  client: KubeClient,
  options: OperatorOptions,
  withGateway: boolean,
  observe: {
    readonly restarted: (name: string, reason: string) => void;
    readonly relisted: (name: string, deleted: number) => void;
  },
): Informers {
  const paths = (kind: ResourceKind): string[] =>
    options.namespaces.length === 0
      ? [collectionPath(kind)]
      : options.namespaces.map((ns) => collectionPath(kind, ns));
  const make = <T extends KubeObject>(
    kind: ResourceKind,
    labelSelector?: string,
    view: Pick<InformerOptions<T>, "name" | "accept" | "transform"> = { name: kind },
  ): Informer<T> =>
    new Informer<T>(client, {
      ...view,
      paths: kind === "ServiceTemplate" ? [collectionPath(kind)] : paths(kind),
      ...(labelSelector === undefined ? {} : { labelSelector }),
      watchTimeoutSeconds: options.watch.timeoutSeconds,
      watchdogMs: options.watch.watchdogMs,
      log: options.log,
      onRestart: (reason) => {
        observe.restarted(view.name, reason);
      },
      onRelist: (deleted) => {
        observe.relisted(view.name, deleted);
      },
    });
  // Children are cached by label only: the operator never holds every ConfigMap of the cluster.
  const managed = `${labelKeys.managedBy}=${managedByValue}`;
  const children = new Map<ChildKind, Informer<KubeObject>>();
  // And every object of those kinds by name only, so that a free name needs no GET (ADR 0128).
  const childNames = new Map<ChildKind, Informer<KubeObject>>();
  for (const kind of childKinds) {
    if (kind === "HTTPRoute" && !withGateway) continue;
    children.set(kind, make(kind, managed));
    const view = { name: `${kind}Names`, accept: metadataOnly, transform: nameOnly };
    childNames.set(kind, make(kind, undefined, view));
  }
  return {
    services: make<CallbackService>("CallbackService"),
    templates: make<ServiceTemplate>("ServiceTemplate"),
    children,
    childNames,
  };
}

/**
 * Handlers only enqueue keys: a child maps to its service, a template to every service using it,
 * and a service to the services that name it (_business_hours_service, _capacity_service), whose
 * status says whether it exists and is of the right type.
 */
function wireEvents(informers: Informers, queue: WorkQueue): void {
  const referrers = new ReferrerIndex();
  const index = (service: CallbackService): void => {
    const namespace = service.metadata.namespace ?? "default";
    referrers.set(objectKey(service), namespace, linkedNames(service, informers.templates));
  };
  const enqueueReferrers = (service: CallbackService): void => {
    for (const key of referrers.referrers(objectKey(service))) queue.add(serviceKey(key));
  };
  const onService = (service: CallbackService): void => {
    queue.add(serviceKey(objectKey(service)));
    queue.add(templateKey(service.spec.template));
    enqueueReferrers(service);
  };
  informers.services.on({
    add: (service) => {
      index(service);
      onService(service);
    },
    delete: (service) => {
      referrers.delete(objectKey(service));
      onService(service);
    },
    update: (service, old) => {
      if (onlyStatusChanged(service, old)) return;
      index(service);
      queue.add(serviceKey(objectKey(service)));
      if (service.spec.template !== old.spec.template) {
        onService(service);
        onService(old);
      }
    },
  });
  const onTemplate = (template: ServiceTemplate): void => {
    queue.add(templateKey(template.metadata.name));
    for (const service of informers.services.list()) {
      if (service.spec.template === template.metadata.name) {
        queue.add(serviceKey(objectKey(service)));
        // Its defaults may name other services now; its serviceType decides its referrers' warnings.
        index(service);
        enqueueReferrers(service);
      }
    }
  };
  informers.templates.on({ add: onTemplate, update: onTemplate, delete: onTemplate });
  const onChild = (child: KubeObject): void => {
    const owner = child.metadata.labels?.[labelKeys.service];
    if (owner !== undefined && child.metadata.namespace !== undefined)
      queue.add(serviceKey(`${child.metadata.namespace}/${owner}`));
  };
  for (const informer of informers.children.values())
    informer.on({ add: onChild, update: onChild, delete: onChild });
  // A name freed: a service stalled on ChildConflict by someone else's object may go on now.
  for (const [kind, informer] of informers.childNames) {
    informer.on({
      delete: (object) => {
        const name = claimantName(kind, object);
        const key = `${object.metadata.namespace ?? ""}/${name ?? ""}`;
        if (name !== undefined && informers.services.get(key) !== undefined)
          queue.add(serviceKey(key));
      },
    });
  }
}

async function work(
  queue: WorkQueue,
  deps: ReconcilerDeps,
  metrics: ReturnType<typeof createMetrics>,
  concurrency: number,
): Promise<void> {
  for (;;) {
    const key = await queue.get();
    if (key === undefined) return;
    const started = deps.clock.monotonic();
    metrics.workers(concurrency, queue.inFlight);
    try {
      const [kind, rest] = splitKey(key);
      if (kind === "ServiceTemplate") await reconcileTemplate(deps, rest);
      else {
        const result = await reconcileService(deps, rest);
        if (result === "stalled") metrics.terminalError();
        else if (result !== "done") queue.addAfter(key, result.requeueAfterMs);
      }
      queue.forget(key);
      metrics.reconciled("success", (deps.clock.monotonic() - started) / 1000);
    } catch (error) {
      const retryInMs = queue.addRateLimited(key);
      metrics.reconciled("error", (deps.clock.monotonic() - started) / 1000);
      deps.log.warn(
        { key, err: (error as Error).message, retryInMs },
        "Reconcile failed; retrying",
      );
    } finally {
      queue.done(key);
      metrics.workers(concurrency, queue.inFlight);
    }
  }
}

function splitKey(key: string): [string, string] {
  const slash = key.indexOf("/");
  return [key.slice(0, slash), key.slice(slash + 1)];
}

interface Leadership {
  readonly lost: AbortSignal;
  /** Whether this replica may write now (always, without leader election). */
  readonly holdsFreshLease: () => boolean;
  release(): Promise<void>;
}

async function lead(
  client: KubeClient,
  options: OperatorOptions,
  stop: AbortSignal,
  report: (name: string, leading: boolean) => void,
): Promise<Leadership | undefined> {
  const election = options.leaderElection;
  if (!election.enabled) {
    return {
      lost: new AbortController().signal,
      holdsFreshLease: () => true,
      release: () => Promise.resolve(),
    };
  }
  const elector = new LeaderElector(client, {
    namespace: election.namespace,
    name: election.name,
    identity: election.identity,
    log: options.log,
    clock: options.clock,
    onLeading: (leading) => {
      report(election.name, leading);
    },
  });
  try {
    const lost = await elector.acquire(stop);
    return {
      lost,
      holdsFreshLease: () => elector.holdsFreshLease(),
      release: () => elector.release(),
    };
  } catch {
    return undefined; // stopped while waiting
  }
}

async function gatewayApiServed(client: KubeClient): Promise<boolean> {
  try {
    await client.request("GET", "/apis/gateway.networking.k8s.io/v1");
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}
