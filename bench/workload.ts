// What the benchmarks create: N CallbackServices of one scenario on a template of their own (a
// copy of the built-in one, so changing one of its defaults fans out to exactly these services).
import { builtinCallbackTemplateInput } from "../src/api/builtin-callback-template.ts";
import { apiVersion, kinds } from "../src/api/group.ts";
import { collectionPath, objectPath } from "../src/controller/resources.ts";
import type { KubeClient, KubeObject } from "../src/runtime/kube-client.ts";
import { benchFieldManager, eachConcurrently } from "./support/bench-cluster.ts";

export const benchTemplateName = "bench";
/** The template default the fan-out benchmark changes: it lands in every service's ConfigMap. */
export const fanOutOption = "_max_request_by_time_bucket";
/** The option the change-latency benchmark edits on one service. */
export const editedOption = "_urs_virtual_queue";
/** Creates at the same concurrency as the controllers reconcile (their default, 8). */
export const clientConcurrency = 8;

export function serviceName(index: number): string {
  return `svc-${String(index).padStart(5, "0")}`;
}

export interface ServiceShape {
  /** Callback API pods per service; 0 keeps the object count but spares the fake node the pods. */
  readonly replicas: number;
}

const benchDatabaseSecret = "bench-database";

export function benchService(
  namespace: string,
  index: number,
  shape: ServiceShape,
  queue = "VQ_Bench",
): KubeObject {
  return {
    apiVersion,
    kind: kinds.callbackService.kind,
    metadata: { name: serviceName(index), namespace },
    spec: {
      template: benchTemplateName,
      scenario: "User-Terminated-Delayed",
      options: {
        _service_groups: "bench",
        _target: "Bench@StatServer.GA",
        _route_point: "8999@SIP_Switch",
        [editedOption]: queue,
      },
      // On PostgreSQL, as a fleet this size runs: stateless Deployments, as the Go peer renders
      // them (the Secret need not exist: kwok's pods never start a container).
      api: {
        replicas: shape.replicas,
        databaseSecretRef: { name: benchDatabaseSecret, key: "url" },
      },
    },
  };
}

/** The bench template with `fanOutOption` defaulting to `value`. */
export function benchTemplate(value: string): KubeObject {
  const { spec } = builtinCallbackTemplateInput;
  return {
    apiVersion,
    kind: kinds.serviceTemplate.kind,
    metadata: { name: benchTemplateName },
    spec: {
      ...spec,
      options: spec.options.map((option) =>
        option.name === fanOutOption ? { ...option, default: value } : option,
      ),
    },
  };
}

export async function applyBenchTemplate(client: KubeClient, value: string): Promise<void> {
  await client.apply(
    objectPath("ServiceTemplate", undefined, benchTemplateName),
    benchTemplate(value),
    benchFieldManager,
  );
}

/** Applies services [from, to) in `namespace`, `clientConcurrency` at a time. */
export async function applyServices(
  client: KubeClient,
  namespace: string,
  from: number,
  to: number,
  shape: ServiceShape,
): Promise<KubeObject[]> {
  const indexes = Array.from({ length: to - from }, (_, i) => from + i);
  const created: KubeObject[] = [];
  await eachConcurrently(indexes, clientConcurrency, async (index) => {
    const service = benchService(namespace, index, shape);
    created.push(
      await client.apply(
        objectPath("CallbackService", namespace, service.metadata.name),
        service,
        benchFieldManager,
      ),
    );
  });
  return created;
}

export function servicesPath(namespace: string): string {
  return collectionPath("CallbackService", namespace);
}

/** Ready=True for the generation the object has now: what the operator and the peer both report. */
export function isReady(object: KubeObject | undefined, generation?: number): boolean {
  if (object === undefined) return false;
  const status = object["status"] as
    | {
        observedGeneration?: number;
        conditions?: { type: string; status: string; observedGeneration?: number }[];
      }
    | undefined;
  const current = generation ?? object.metadata.generation ?? 0;
  if ((object.metadata.generation ?? 0) < current) return false;
  if ((status?.observedGeneration ?? 0) < current) return false;
  return status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
}
