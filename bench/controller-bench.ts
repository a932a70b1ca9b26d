// The controller measurements: convergence of N services, change latency of one service among
// many, template fan-out, idle request rate and memory. Each takes a cluster and a contender and
// returns plain numbers; bench/run.ts decides how often and in which order.
import type { KubeClient, KubeObject } from "../src/runtime/kube-client.ts";
import { collectionPath, objectPath } from "../src/controller/resources.ts";
import { configMapName } from "../src/render/children.ts";
import { labelKeys } from "../src/api/group.ts";
import {
  rawFloor,
  rssBytes,
  startOperator,
  startPeer,
  type ContenderName,
  type RunningController,
} from "./contenders.ts";
import {
  benchFieldManager,
  createNamespace,
  deleteNamespace,
  watchUntil,
  type BenchCluster,
} from "./support/bench-cluster.ts";
import { processCpuMs } from "./support/proc-cpu.ts";
import { percentile } from "./support/stats.ts";
import {
  applyBenchTemplate,
  applyServices,
  benchService,
  editedOption,
  fanOutOption,
  isReady,
  serviceName,
  servicesPath,
  type ServiceShape,
} from "./workload.ts";

const convergenceTimeoutMs = 30 * 60_000;

function dataOf(configMap: KubeObject | undefined): Readonly<Record<string, string>> {
  return (configMap?.["data"] ?? {}) as Record<string, string>;
}

export interface Converged {
  readonly seconds: number;
  /** CPU seconds the controller used from start to convergence (0 for the raw floor). */
  readonly cpuSeconds: number;
  /** Requests the controller sent, by method (empty for the raw floor). */
  readonly requests: Readonly<Record<string, number>>;
  readonly namespace: string;
  /** The controller, still running over the converged services (none for the raw floor). */
  readonly controller: RunningController | undefined;
}

export async function startController(
  cluster: BenchCluster,
  contender: Exclude<ContenderName, "raw-floor">,
  run: string,
): Promise<RunningController> {
  return contender === "operator"
    ? startOperator(cluster.kubeconfig, run)
    : startPeer(cluster.kubeconfig);
}

/**
 * Time from the first apply of N services in an empty namespace until every one is Ready (the
 * raw floor: until every Deployment it applied is available). The controller starts, with warm
 * caches, before the clock does.
 */
export async function converge(
  cluster: BenchCluster,
  contender: ContenderName,
  count: number,
  shape: ServiceShape,
  run: string,
): Promise<Converged> {
  const namespace = `bench-${run}`;
  await createNamespace(cluster.client, namespace);
  if (contender === "raw-floor") {
    const started = performance.now();
    const done = await rawFloor(cluster.client, {
      namespace,
      count,
      shape,
      templateValue: baseTemplateValue,
      timeoutMs: convergenceTimeoutMs,
    });
    return {
      seconds: (done - started) / 1000,
      cpuSeconds: 0,
      requests: {},
      namespace,
      controller: undefined,
    };
  }
  const controller = await startController(cluster, contender, run);
  const ready = allReady(cluster.client, namespace, count);
  const started = performance.now();
  await applyServices(cluster.client, namespace, 0, count, shape);
  const done = await ready;
  return {
    seconds: (done - started) / 1000,
    cpuSeconds: (processCpuMs(controller.pid) ?? Number.NaN) / 1000,
    requests: await controller.requests(),
    namespace,
    controller,
  };
}

/** Resolves (with the time) once `count` services of the namespace are Ready. */
export function allReady(client: KubeClient, namespace: string, count: number): Promise<number> {
  return watchUntil(
    client,
    servicesPath(namespace),
    (services) => {
      if (services.size < count) return false;
      let ready = 0;
      for (const service of services.values()) if (isReady(service)) ready++;
      return ready >= count;
    },
    convergenceTimeoutMs,
  );
}

/** Stops the controller and deletes the namespace, waiting until both are gone. */
export async function cleanUp(cluster: BenchCluster, converged: Converged): Promise<void> {
  await converged.controller?.stop();
  await deleteNamespace(cluster.client, converged.namespace);
}

export interface LatencyResult {
  readonly edits: number;
  readonly configMapMs: { readonly p50: number; readonly p99: number };
  readonly readyMs: { readonly p50: number; readonly p99: number };
}

/** Milliseconds of each edit until its ConfigMap, and until its service's Ready. */
export interface LatencySamples {
  readonly configMapMs: number[];
  readonly readyMs: number[];
}

/** Percentiles over the edits of every run. */
export function latencyOf(samples: LatencySamples): LatencyResult {
  const summary = (values: number[]) => ({
    p50: Math.round(percentile(values, 50)),
    p99: Math.round(percentile(values, 99)),
  });
  return {
    edits: samples.readyMs.length,
    configMapMs: summary(samples.configMapMs),
    readyMs: summary(samples.readyMs),
  };
}

/**
 * Edits one option of one service at a time (a different service each time) and adds to `samples`
 * the new value's arrival in its ConfigMap and the service's Ready for the new generation.
 */
export async function changeLatency(
  client: KubeClient,
  { namespace, count }: { readonly namespace: string; readonly count: number },
  edits: number,
  shape: ServiceShape,
  samples: LatencySamples,
): Promise<void> {
  const { configMapMs, readyMs } = samples;
  for (let edit = 0; edit < edits; edit++) {
    // Spread over the services, so no edit finds a cache line or a pod another one warmed.
    const index = Math.floor(((edit + 0.5) / edits) * count);
    const name = serviceName(index);
    const queue = `VQ_Edit_${String(edit)}`;
    const configMapSeen = watchUntil(
      client,
      collectionPath("ConfigMap", namespace),
      (maps) => dataOf(maps.get(configMapName(name)))[editedOption] === queue,
      120_000,
      { labelSelector: `${labelKeys.service}=${name}` },
    );
    const readySeen = watchUntil(
      client,
      servicesPath(namespace),
      (services) => {
        const service = services.get(name);
        const options = (service?.["spec"] as { options?: Record<string, string> } | undefined)
          ?.options;
        return options?.[editedOption] === queue && isReady(service);
      },
      120_000,
      { fieldSelector: `metadata.name=${name}` },
    );
    // Let both watches list and open before the clock starts.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = performance.now();
    await client.apply(
      objectPath("CallbackService", namespace, name),
      benchService(namespace, index, shape, queue),
      benchFieldManager,
    );
    configMapMs.push((await configMapSeen) - started);
    readyMs.push((await readySeen) - started);
  }
}

/** The bench template's default of `fanOutOption` whenever a convergence run starts. */
export const baseTemplateValue = "100";

/**
 * Changes the template default all `count` services use to `value`; seconds until every
 * ConfigMap has it.
 */
export async function fanOut(
  client: KubeClient,
  namespace: string,
  count: number,
  value: string,
): Promise<number> {
  const updated = watchUntil(
    client,
    collectionPath("ConfigMap", namespace),
    (maps) => {
      if (maps.size < count) return false;
      let current = 0;
      for (const map of maps.values()) if (dataOf(map)[fanOutOption] === value) current++;
      return current >= count;
    },
    convergenceTimeoutMs,
    { labelSelector: `${labelKeys.template}=bench` },
  );
  await new Promise((resolve) => setTimeout(resolve, 500));
  const started = performance.now();
  await applyBenchTemplate(client, value);
  return ((await updated) - started) / 1000;
}

export interface IdleResult {
  readonly windowSeconds: number;
  /** Requests per minute by HTTP method (watches are GETs, counted when they are opened). */
  readonly requestsPerMinute: Readonly<Record<string, number>>;
  readonly writesPerMinute: number;
}

/** Windows of several runs as one: the requests per minute over their whole time. */
export function idleOf(windows: readonly IdleResult[]): IdleResult {
  const windowSeconds = windows.reduce((sum, w) => sum + w.windowSeconds, 0);
  const perMinute = (rateOf: (w: IdleResult) => number) =>
    Math.round(
      (windows.reduce((sum, w) => sum + rateOf(w) * w.windowSeconds, 0) * 10) / windowSeconds,
    ) / 10;
  const methods = [...new Set(windows.flatMap((w) => Object.keys(w.requestsPerMinute)))].sort();
  return {
    windowSeconds,
    requestsPerMinute: Object.fromEntries(
      methods.map((m) => [m, perMinute((w) => w.requestsPerMinute[m] ?? 0)]),
    ),
    writesPerMinute: perMinute((w) => w.writesPerMinute),
  };
}

/** Requests sent by a settled controller over a window. */
export async function idleRequests(
  controller: RunningController,
  windowSeconds: number,
): Promise<IdleResult> {
  const before = await controller.requests();
  await new Promise((resolve) => setTimeout(resolve, windowSeconds * 1000));
  const after = await controller.requests();
  const perMinute: Record<string, number> = {};
  for (const [method, total] of Object.entries(after)) {
    const delta = total - (before[method] ?? 0);
    if (delta > 0) perMinute[method] = Math.round((delta * 60 * 10) / windowSeconds) / 10;
  }
  const writes = ["POST", "PUT", "PATCH", "DELETE"].reduce(
    (sum, m) => sum + (perMinute[m] ?? 0),
    0,
  );
  return { windowSeconds, requestsPerMinute: perMinute, writesPerMinute: writes };
}

export interface MemoryResult {
  readonly services: number;
  readonly rssMiB: number;
  readonly heapMiB: number;
}

export async function memory(
  controller: RunningController,
  services: number,
): Promise<MemoryResult> {
  const mib = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
  return {
    services,
    rssMiB: mib(await rssBytes(controller.pid)),
    heapMiB: mib(await controller.heapBytes()),
  };
}

/** Grows a converged namespace to `count` services and waits until all are Ready. */
export async function growTo(
  client: KubeClient,
  namespace: string,
  from: number,
  count: number,
  shape: ServiceShape,
): Promise<void> {
  const ready = allReady(client, namespace, count);
  await applyServices(client, namespace, from, count, shape);
  await ready;
}
