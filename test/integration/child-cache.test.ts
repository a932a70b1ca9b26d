// The cached form of children (src/controller/cache-forms.ts, ADR 0126) against the real
// kube-apiserver: a reconcile that reads children in their cached form decides exactly as one that
// reads them whole, for every kind of child the renderer makes (a Deployment with every pod
// option, a StatefulSet with its claim, an Ingress, an HTTPRoute, a section-only ConfigMap). If
// the reconcile read a field the cache drops, the cached run would apply a child or write a status
// the whole run did not. A change by another manager to a field the operator applied is still
// seen and undone; fields the operator never applied are not its business.
import { KubeConfig } from "@kubernetes/client-node";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { builtinTemplates } from "../../src/controller/builtin-templates.ts";
import type { CallbackService } from "../../src/api/callback-service.ts";
import { labelKeys, managedByValue } from "../../src/api/group.ts";
import type { ServiceTemplate } from "../../src/api/service-template.ts";
import { cachedChild } from "../../src/controller/cache-forms.ts";
import {
  childKinds,
  collectionPath,
  objectPath,
  type ChildKind,
} from "../../src/controller/resources.ts";
import { reconcileService, type ReconcilerDeps } from "../../src/controller/service-reconciler.ts";
import { defaultRenderConfig } from "../../src/render/render-config.ts";
import { systemClock } from "../../src/runtime/clock.ts";
import { EventRecorder } from "../../src/runtime/event-recorder.ts";
import type { Cache } from "../../src/runtime/informer.ts";
import { KubeClient, type KubeObject } from "../../src/runtime/kube-client.ts";
import { createNamespace, installCrds, kubeconfigPath, kubectl } from "../support/cluster.ts";

const fieldManager = "callback-operator";
const log = pino({ level: "silent" });
let ns = "";
let kubeConfig: KubeConfig;
const clients: KubeClient[] = [];

/** One service per shape of child the renderer makes. */
const specs: Record<string, Record<string, unknown>> = {
  "on-postgres": {
    scenario: "User-Terminated-Immediate",
    options: { _route_point: "8999@SIP_Switch", _service_groups: "support,sales" },
    api: {
      replicas: 2,
      databaseSecretRef: { name: "callbacks-db", key: "url" },
      resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "256Mi" } },
      nodeSelector: { "kubernetes.io/os": "linux" },
      tolerations: [{ key: "dedicated", operator: "Equal", value: "cc", effect: "NoSchedule" }],
      topologySpreadConstraints: [
        { maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway" },
      ],
      podAnnotations: { "prometheus.io/scrape": "true" },
    },
    route: {
      host: "callbacks.example.com",
      ingressClassName: "nginx",
      annotations: { "nginx.ingress.kubernetes.io/proxy-body-size": "1m" },
    },
  },
  embedded: {
    scenario: "User-Terminated-Delayed",
    options: { _route_point: "8999@SIP_Switch" },
    api: { storage: { size: "2Gi" } },
    route: { parentRefs: [{ name: "edge", namespace: "gateways" }] },
  },
  "office-hours": {
    template: "office-hours",
    scenario: "Weekdays",
    options: { _timezone: "Europe/Paris", _bh_regular1: "Mon-Fri 8:00-20:00" },
  },
};

interface Counted {
  readonly client: KubeClient;
  readonly requests: { method: string; path: string }[];
}

/** A real client that remembers every request it sent. */
function countingClient(): Counted {
  const requests: { method: string; path: string }[] = [];
  const client = new KubeClient(kubeConfig, undefined, { userAgent: "child-cache-test" });
  clients.push(client);
  const request = client.request.bind(client);
  client.request = <T>(method: string, path: string, options?: object): Promise<T> => {
    requests.push({ method, path });
    return request<T>(method, path, options);
  };
  return { client, requests };
}

class MapCache<T extends KubeObject> implements Cache<T> {
  readonly #items = new Map<string, T>();
  constructor(items: Iterable<T>) {
    for (const item of items)
      this.#items.set(`${item.metadata.namespace ?? ""}/${item.metadata.name}`, item);
  }
  get(key: string): T | undefined {
    return this.#items.get(key);
  }
  list(): Iterable<T> {
    return this.#items.values();
  }
}

type Form = "whole" | "cached" | "empty";

/**
 * Caches as the informers would fill them now (read with another client): children whole (without
 * managedFields, as before ADR 0126), in their cached form, or none yet.
 */
async function deps(client: KubeClient, form: Form): Promise<ReconcilerDeps> {
  const reader = new KubeClient(kubeConfig);
  const services = await reader.list<CallbackService>(collectionPath("CallbackService", ns));
  const children = new Map<ChildKind, Cache<KubeObject>>();
  for (const kind of childKinds) {
    const list =
      form === "empty"
        ? { items: [] }
        : await reader.list<KubeObject>(collectionPath(kind, ns), {
            labelSelector: `${labelKeys.managedBy}=${managedByValue}`,
          });
    children.set(
      kind,
      new MapCache(
        list.items.map((child) =>
          form === "cached" ? cachedChild(child, fieldManager) : stripped(child),
        ),
      ),
    );
  }
  await reader.close();
  const templates = new MapCache<ServiceTemplate>(
    builtinTemplates.map((t) => ({ ...t, metadata: { ...t.metadata, namespace: undefined } })),
  );
  return {
    client,
    services: new MapCache(services.items.map(stripped)),
    templates: { get: (name) => templates.get(`/${name}`), list: () => templates.list() },
    children,
    config: { ...defaultRenderConfig, gatewayParentRefs: [{ name: "edge" }] },
    fieldManager,
    events: new EventRecorder(client, "callback-operator", log),
    log,
    clock: systemClock,
  };
}

function stripped<T extends KubeObject>(object: T): T {
  const { managedFields: _, ...metadata } = object.metadata;
  return { ...object, metadata };
}

async function reconcileAll(client: KubeClient, form: Form): Promise<void> {
  const d = await deps(client, form);
  for (const name of Object.keys(specs)) await reconcileService(d, `${ns}/${name}`);
}

const writes = (counted: Counted): { method: string; path: string }[] =>
  counted.requests.filter((r) => r.method !== "GET");

const childWrites = (counted: Counted): string[] =>
  writes(counted)
    .filter((r) => !r.path.includes("/callbackservices/") && !r.path.endsWith("/events"))
    .map((r) => r.path)
    .sort();

beforeAll(async () => {
  installCrds();
  ns = createNamespace("child-cache");
  kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(kubeconfigPath());
  for (const [name, spec] of Object.entries(specs)) {
    kubectl(["apply", "--server-side", "--field-manager=test-user", "-n", ns, "-f", "-"], {
      input: JSON.stringify({
        apiVersion: "callback-operator.io/v1alpha1",
        kind: "CallbackService",
        metadata: { name },
        spec,
      }),
    });
  }
  const first = countingClient();
  await reconcileAll(first.client, "empty");
  // Creates every child of every service: 4 + 4 + 1 (and labels, statuses and events).
  expect(childWrites(first)).toHaveLength(9);
  kubectl(["rollout", "status", "-n", ns, "deployment/on-postgres", "--timeout=120s"]);
  // The state settles: a reconcile that reads children whole writes the status they give.
  await reconcileAll(countingClient().client, "whole");
  const settled = countingClient();
  await reconcileAll(settled.client, "whole");
  expect(writes(settled)).toEqual([]);
}, 240_000);

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
});

describe("a reconcile reading cached children", () => {
  it("decides as one reading them whole: nothing to apply, no status to write, no GET", async () => {
    const counted = countingClient();
    await reconcileAll(counted.client, "cached");
    expect(counted.requests).toEqual([]);
  });

  it("undoes another manager's change to a field the operator applied", async () => {
    const patch = (resource: string, body: unknown): void => {
      kubectl([
        "patch",
        "-n",
        ns,
        resource,
        "--type=merge",
        "--field-manager=intruder",
        "-p",
        JSON.stringify(body),
      ]);
    };
    patch("configmap/service.on-postgres", { data: { _route_point: "1234@Other" } });
    patch("deployment/on-postgres", { spec: { replicas: 5 } });
    patch("statefulset/embedded", { spec: { template: { metadata: { labels: { extra: "x" } } } } });
    patch("service/on-postgres", { spec: { sessionAffinity: "ClientIP" } });
    patch("ingress/on-postgres", { spec: { ingressClassName: "traefik" } });
    patch("httproute/embedded", { spec: { hostnames: ["evil.example.com"] } });
    const counted = countingClient();
    await reconcileAll(counted.client, "cached");
    // The StatefulSet's extra pod label, the Service's session affinity and the HTTPRoute's host
    // name are fields the operator never applied: another manager's own, not the operator's to undo.
    expect(childWrites(counted)).toEqual(
      [
        objectPath("ConfigMap", ns, "service.on-postgres"),
        objectPath("Deployment", ns, "on-postgres"),
        objectPath("Ingress", ns, "on-postgres"),
      ].sort(),
    );
    const json = (resource: string, path: string): string =>
      kubectl(["get", "-n", ns, resource, "-o", `jsonpath={${path}}`]);
    expect(json("configmap/service.on-postgres", ".data._route_point")).toBe("8999@SIP_Switch");
    expect(json("deployment/on-postgres", ".spec.replicas")).toBe("2");
    expect(json("ingress/on-postgres", ".spec.ingressClassName")).toBe("nginx");
  });
});
