// The three ways of turning CallbackServices into children that the benchmarks compare, all on the
// same control plane with the same concurrency: this operator, the Go controller-runtime peer
// (bench/peer-go), and the raw floor (a tight client applying the same objects itself).
import { readFile } from "node:fs/promises";
import type { ChildProcess } from "node:child_process";
import { callbackServiceSchema } from "../src/api/callback-service.ts";
import { serviceTemplateSchema } from "../src/api/service-template.ts";
import { deploymentHealth } from "../src/controller/child-health.ts";
import type { KubeClient, KubeObject } from "../src/runtime/kube-client.ts";
import { collectionPath, objectPath, type ChildKind } from "../src/controller/resources.ts";
import { defaultRenderConfig } from "../src/render/render-config.ts";
import type { ChildObject } from "../src/render/children.ts";
import { render } from "../src/render/render.ts";
import { scrapeRequests, spawnOperatorProcess } from "../test/support/operator-process.ts";
import { ensurePeerGo, spawnPeerGo } from "./peer-go.ts";
import { benchFieldManager, eachConcurrently, watchUntil } from "./support/bench-cluster.ts";
import { benchService, benchTemplate, clientConcurrency, type ServiceShape } from "./workload.ts";

export type ContenderName = "operator" | "go-peer" | "raw-floor";

/** A running controller: its process (for memory) and its /metrics (for request counts). */
export interface RunningController {
  readonly pid: number;
  readonly metricsUrl: string;
  requests(): Promise<Record<string, number>>;
  /** Heap in use, from the controller's own metrics. */
  heapBytes(): Promise<number>;
  stop(): Promise<void>;
}

async function metric(metricsUrl: string, name: string): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  const match = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+]+)$`, "m").exec(text);
  return match === null ? Number.NaN : Number(match[1]);
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => {
      resolve();
    });
  });
  child.kill("SIGTERM");
  return exited;
}

export async function startOperator(kubeconfig: string, run: string): Promise<RunningController> {
  const operator = await spawnOperatorProcess(
    `bench-${run}`,
    ["--leader-elect=false", `--concurrency=${String(clientConcurrency)}`, "--log-level=warn"],
    kubeconfig,
    "production",
  );
  const readyz = operator.metricsUrl.replace("/metrics", "/readyz");
  while (
    (await fetch(readyz).then(
      (r) => r.status,
      () => 0,
    )) !== 200
  ) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    pid: operator.child.pid ?? 0,
    metricsUrl: operator.metricsUrl,
    requests: () => scrapeRequests(operator.metricsUrl),
    heapBytes: () => metric(operator.metricsUrl, "nodejs_heap_size_used_bytes"),
    stop: () => stopProcess(operator.child),
  };
}

export async function startPeer(kubeconfig: string): Promise<RunningController> {
  await ensurePeerGo();
  const peer = await spawnPeerGo({ kubeconfig, concurrency: clientConcurrency });
  return {
    pid: peer.child.pid ?? 0,
    metricsUrl: peer.metricsUrl,
    requests: () => scrapeRequests(peer.metricsUrl),
    heapBytes: () => metric(peer.metricsUrl, "go_memstats_heap_alloc_bytes"),
    stop: () => peer.stop(),
  };
}

/** Resident memory of a process, from /proc (Linux). */
export async function rssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${String(pid)}/status`, "utf8");
  const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  return kib === undefined ? Number.NaN : Number(kib) * 1024;
}

const childKindsByRender: Record<string, ChildKind> = {
  ConfigMap: "ConfigMap",
  Deployment: "Deployment",
  Service: "Service",
  Ingress: "Ingress",
  HTTPRoute: "HTTPRoute",
};

/**
 * The raw floor: what any controller must at least do for these services, done by a client with
 * nothing else to do. It applies each service, renders its children with the operator's own
 * renderer and applies them, `clientConcurrency` services at a time, in the operator's stages (the
 * ConfigMap, then the other children together), and waits, like everyone, for every Deployment to
 * be available, watching from before its first apply as the controllers' caches do. It writes no
 * status and keeps no cache, so in elapsed time too it is a lower bound for a controller.
 */
export async function rawFloor(
  client: KubeClient,
  run: {
    readonly namespace: string;
    readonly count: number;
    readonly shape: ServiceShape;
    readonly templateValue: string;
    readonly timeoutMs: number;
  },
): Promise<number> {
  const { namespace, count, shape, templateValue, timeoutMs } = run;
  const template = serviceTemplateSchema.parse(benchTemplate(templateValue));
  const config = { ...defaultRenderConfig, image: "callback-operator:test" };
  const indexes = Array.from({ length: count }, (_, i) => i);
  const available = watchUntil(
    client,
    collectionPath("Deployment", namespace),
    (deployments) =>
      deployments.size >= count && [...deployments.values()].every((d) => deploymentHealth(d).ok),
    timeoutMs,
  );
  // Not awaited until the applies end: a failure meanwhile must not be an unhandled rejection.
  available.catch(() => undefined);
  const apply = (child: ChildObject): Promise<KubeObject> => {
    const kind = childKindsByRender[child.kind];
    if (kind === undefined) throw new Error(`Unknown child kind ${child.kind}`);
    return client.apply(
      objectPath(kind, namespace, child.metadata.name),
      child,
      "callback-operator-floor",
    );
  };
  await eachConcurrently(indexes, clientConcurrency, async (index) => {
    const wanted = benchService(namespace, index, shape);
    const applied = await client.apply<KubeObject>(
      objectPath("CallbackService", namespace, wanted.metadata.name),
      wanted,
      benchFieldManager,
    );
    const result = render(callbackServiceSchema.parse(applied), template, config);
    if (!result.ok) throw new Error(`The bench service does not render: ${result.message}`);
    const configMaps = result.children.filter((child) => child.kind === "ConfigMap");
    const others = result.children.filter((child) => child.kind !== "ConfigMap");
    await Promise.all(configMaps.map(apply));
    await Promise.all(others.map(apply));
  });
  return available;
}
