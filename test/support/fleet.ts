// A fleet of CallbackServices for the reliability tests, and the check that what the operator left
// in the cluster is exactly what a clean run leaves: per service, the rendered children, each
// written once, owned by the service, and nothing else.
import { stringify } from "yaml";
import { builtinCallbackTemplate } from "../../src/api/builtin-callback-template.ts";
import { callbackServiceSchema } from "../../src/api/callback-service.ts";
import { labelKeys, managedByValue } from "../../src/api/group.ts";
import { defaultRenderConfig } from "../../src/render/render-config.ts";
import { render } from "../../src/render/render.ts";
import { kubectl, kubectlJson } from "./cluster.ts";

export interface KubeItem {
  kind: string;
  metadata: {
    name: string;
    uid: string;
    generation?: number;
    resourceVersion: string;
    ownerReferences?: { uid: string; controller?: boolean }[];
    labels?: Record<string, string>;
  };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
  status?: {
    observedGeneration?: number;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

export function fleetServiceName(index: number): string {
  return `fleet-${String(index).padStart(4, "0")}`;
}

function fleetDocument(namespace: string, index: number, queue: string): string {
  return stringify({
    apiVersion: "callback-operator.io/v1alpha1",
    kind: "CallbackService",
    metadata: { name: fleetServiceName(index), namespace },
    spec: {
      scenario: "User-Terminated-Delayed",
      options: {
        _service_groups: "fleet",
        _route_point: "8999@SIP_Switch",
        _urs_virtual_queue: queue,
      },
    },
  });
}

function applyAsFleetUser(documents: readonly string[]): void {
  kubectl(["apply", "--server-side", "--field-manager=fleet-user", "-f", "-"], {
    input: documents.join("---\n"),
  });
}

/** One `kubectl apply` of `count` services (User-Terminated-Delayed, group "fleet"). */
export function applyFleet(namespace: string, count: number, queue = "VQ_Fleet"): void {
  applyAsFleetUser(Array.from({ length: count }, (_, i) => fleetDocument(namespace, i, queue)));
}

/** The user's edit of one fleet service: the same spec with another queue. */
export function applyFleetService(namespace: string, index: number, queue: string): void {
  applyAsFleetUser([fleetDocument(namespace, index, queue)]);
}

function list(kind: string, namespace: string): KubeItem[] {
  return kubectlJson<{ items: KubeItem[] }>(["get", kind, "-n", namespace]).items;
}

export function isReady(service: KubeItem): boolean {
  return (
    (service.status?.observedGeneration ?? 0) >= (service.metadata.generation ?? 1) &&
    (service.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false)
  );
}

export function readyCount(namespace: string): number {
  return list("callbackservices", namespace).filter(isReady).length;
}

/** Polls until `count` services are Ready; returns the seconds it took. */
export async function waitFleetReady(
  namespace: string,
  count: number,
  timeoutMs: number,
): Promise<number> {
  const started = performance.now();
  for (;;) {
    const ready = readyCount(namespace);
    if (ready >= count) return (performance.now() - started) / 1000;
    if (performance.now() - started > timeoutMs) {
      throw new Error(
        `${String(ready)} of ${String(count)} services Ready after ${String(timeoutMs)} ms`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

const childKinds = [
  "configmaps",
  "deployments",
  "statefulsets",
  "services",
  "ingresses",
  "httproutes.gateway.networking.k8s.io",
] as const;

/**
 * Everything that differs from a clean run, as sentences (empty when none): a missing or extra
 * child, a child not owned by its service, content other than the renderer's, a workload
 * written more than once (generation > 1), a service not Ready.
 */
export function fleetProblems(namespace: string, image = "callback-operator:test"): string[] {
  const problems: string[] = [];
  const services = list("callbackservices", namespace);
  const byUid = new Map(services.map((s) => [s.metadata.uid, s]));
  const config = { ...defaultRenderConfig, image };
  const expected = new Map<string, Record<string, unknown>>();
  for (const service of services) {
    if (!isReady(service)) problems.push(`${service.metadata.name} is not Ready`);
    const result = render(callbackServiceSchema.parse(service), builtinCallbackTemplate, config);
    if (!result.ok) {
      problems.push(`${service.metadata.name} does not render: ${result.message}`);
      continue;
    }
    for (const child of result.children) {
      expected.set(`${child.kind}/${child.metadata.name}`, child);
    }
  }
  const seen = new Set<string>();
  for (const kind of childKinds) {
    for (const child of list(kind, namespace)) {
      if (child.metadata.labels?.[labelKeys.managedBy] !== managedByValue) continue;
      const key = `${child.kind}/${child.metadata.name}`;
      seen.add(key);
      const want = expected.get(key);
      if (want === undefined) {
        problems.push(`${key} is an orphan or a duplicate: no service renders it`);
        continue;
      }
      const owners = child.metadata.ownerReferences ?? [];
      if (
        owners.length !== 1 ||
        !byUid.has(owners[0]?.uid ?? "") ||
        owners[0]?.controller !== true
      ) {
        problems.push(`${key} is not owned by exactly its service: ${JSON.stringify(owners)}`);
      }
      problems.push(...contentProblems(key, child, want));
    }
  }
  for (const key of expected.keys()) if (!seen.has(key)) problems.push(`${key} is missing`);
  return problems;
}

function contentProblems(key: string, live: KubeItem, want: Record<string, unknown>): string[] {
  // Every field the operator renders must be live as rendered; what the apiserver adds (defaults,
  // status, managedFields) and what other managers add (their labels) is not the operator's.
  const problems = differences(want, live, "").map((d) => `${key} ${d}`);
  // A clean run applies a workload once; a second write with other content would show here.
  if (
    (live.kind === "Deployment" || live.kind === "StatefulSet") &&
    (live.metadata.generation ?? 0) !== 1
  ) {
    problems.push(
      `${key} was changed after creation (generation ${String(live.metadata.generation)})`,
    );
  }
  return problems;
}

/** Where `live` does not hold what `want` holds: objects by key (extra live keys allowed), lists whole. */
function differences(want: unknown, live: unknown, at: string): string[] {
  if (Array.isArray(want)) {
    if (!Array.isArray(live) || live.length !== want.length) {
      return [`${at || "."}: ${JSON.stringify(live)}, rendered ${JSON.stringify(want)}`];
    }
    return want.flatMap((item, i) => differences(item, live[i], `${at}[${String(i)}]`));
  }
  if (typeof want === "object" && want !== null) {
    if (typeof live !== "object" || live === null || Array.isArray(live)) {
      return [`${at || "."}: ${JSON.stringify(live)}, rendered an object`];
    }
    const liveFields = live as Record<string, unknown>;
    return Object.entries(want).flatMap(([field, value]) =>
      differences(value, liveFields[field], `${at}.${field}`),
    );
  }
  return want === live ? [] : [`${at}: ${JSON.stringify(live)}, rendered ${JSON.stringify(want)}`];
}
