// reconcileService against a table-driven fake apiserver: each row is a situation, and what the
// reconcile must come to (its result, the Ready reason, the detail conditions, the requests sent).
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { builtinCallbackTemplate } from "../api/builtin-callback-template.ts";
import { builtinSectionTemplates } from "../api/builtin-section-templates.ts";
import { callbackServiceSchema, type CallbackService } from "../api/callback-service.ts";
import type { Condition } from "../api/conditions.ts";
import type { ServiceTemplate } from "../api/service-template.ts";
import { defaultRenderConfig, type RenderConfig } from "../render/render-config.ts";
import { ManualClock } from "../runtime/clock.ts";
import type { Cache } from "../runtime/informer.ts";
import { KubeApiError, type KubeApi, type KubeObject } from "../runtime/kube-client.ts";
import { childKinds, type ChildKind } from "./resources.ts";
import { reconcileService, type ReconcilerDeps } from "./service-reconciler.ts";

const namespace = "contact-centre";
const uid = "uid-1";

function service(spec: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return callbackServiceSchema.parse({
    apiVersion: "callback-operator.io/v1alpha1",
    kind: "CallbackService",
    metadata: { name: "support", namespace, uid, generation: 3, ...extra },
    spec: { scenario: "User-Terminated-Immediate", ...spec },
  });
}

class MapCache<T extends KubeObject> implements Cache<T> {
  readonly items = new Map<string, T>();
  get(key: string): T | undefined {
    return this.items.get(key);
  }
  list(): Iterable<T> {
    return this.items.values();
  }
}

interface Sent {
  readonly method: string;
  readonly path: string;
  readonly body?: unknown;
}

/** Answers applies with the object sent (plus a status the row chooses); errors by path suffix. */
class FakeApi implements Partial<KubeApi> {
  readonly sent: Sent[] = [];
  readonly failures: Readonly<Record<string, KubeApiError>>;
  readonly statuses: Readonly<Record<string, unknown>>;
  constructor(
    failures: Readonly<Record<string, KubeApiError>> = {},
    statuses: Readonly<Record<string, unknown>> = {},
  ) {
    this.failures = failures;
    this.statuses = statuses;
  }
  #failure(path: string): KubeApiError | undefined {
    return Object.entries(this.failures).find(([suffix]) => path.endsWith(suffix))?.[1];
  }
  get<T extends KubeObject>(path: string): Promise<T> {
    this.sent.push({ method: "GET", path });
    return Promise.reject(new KubeApiError(404, "NotFound", `${path} not found`));
  }
  apply<T extends KubeObject>(path: string, object: unknown): Promise<T> {
    this.sent.push({ method: "PATCH", path, body: object });
    const failure = this.#failure(path);
    if (failure !== undefined) return Promise.reject(failure);
    const kind = (object as { kind: string }).kind;
    const status = this.statuses[kind];
    return Promise.resolve({ ...(object as T), ...(status === undefined ? {} : { status }) });
  }
  delete(path: string): Promise<unknown> {
    this.sent.push({ method: "DELETE", path });
    return Promise.resolve({});
  }
}

/** A StatefulSet (the embedded database's workload) rolled out and available. */
const available = {
  observedGeneration: 0,
  replicas: 1,
  updatedReplicas: 1,
  availableReplicas: 1,
  currentRevision: "support-1",
  updateRevision: "support-1",
};

interface Row {
  readonly name: string;
  readonly service?: CallbackService;
  readonly templates?: readonly ServiceTemplate[];
  readonly config?: Partial<RenderConfig>;
  readonly children?: readonly KubeObject[];
  readonly failures?: Readonly<Record<string, KubeApiError>>;
  readonly statuses?: Readonly<Record<string, unknown>>;
  /** What reconcileService comes to: its result, or the message it throws. */
  readonly result: "done" | "stalled" | RegExp;
  readonly ready?: { status: string; reason: string };
  readonly details?: Readonly<Record<string, string>>;
  /** The requests, as "METHOD kind-or-path-end", in order. */
  readonly requests: readonly string[];
}

const unknownRest = {
  DeploymentAvailable: "Unknown",
  RouteAccepted: "Unknown",
};
const children = ["ConfigMap", "StatefulSet", "Service", "Ingress"];
const gets = children.map((kind) => `GET ${kind}`);
const applies = children.map((kind) => `PATCH ${kind}`);

const rows: Row[] = [
  { name: "a deleted service is done", result: "done", requests: [] },
  {
    name: "a service being deleted is left to garbage collection",
    service: service({ template: "callback" }, { deletionTimestamp: "2026-01-01T00:00:00Z" }),
    result: "done",
    requests: [],
  },
  {
    name: "a suspended service only says so",
    service: service({ template: "callback", suspend: true }),
    result: "done",
    ready: { status: "Unknown", reason: "Suspended" },
    requests: ["PATCH status"],
  },
  {
    name: "ResolveTemplate: a missing template stalls, labels applied first",
    service: service({ template: "nowhere" }),
    result: "stalled",
    ready: { status: "False", reason: "TemplateNotFound" },
    details: { TemplateResolved: "False", OptionsValid: "Unknown", ConfigApplied: "Unknown" },
    requests: ["PATCH CallbackService", "PATCH status", "event Warning TemplateNotFound"],
  },
  {
    name: "ResolveOptions: an invalid option stalls",
    service: service({ template: "callback", options: { _ttl: "a day" } }),
    result: "stalled",
    ready: { status: "False", reason: "InvalidOptions" },
    details: { TemplateResolved: "True", OptionsValid: "False", ConfigApplied: "Unknown" },
    requests: ["PATCH CallbackService", "PATCH status", "event Warning InvalidOptions"],
  },
  {
    name: "ResolveRoute: HTTPRoutes without a Gateway stall",
    service: service({ template: "callback" }),
    config: { routingMode: "httproute" },
    result: "stalled",
    ready: { status: "False", reason: "RouteNotAccepted" },
    details: {
      TemplateResolved: "True",
      OptionsValid: "True",
      ConfigApplied: "Unknown",
      RouteAccepted: "False",
    },
    requests: ["PATCH CallbackService", "PATCH status", "event Warning RouteNotAccepted"],
  },
  {
    name: "CheckOwnership: a Service of the same name owned by nobody stalls, nothing applied",
    service: service({ template: "callback" }),
    children: [
      { apiVersion: "v1", kind: "Service", metadata: { name: "support", namespace } },
    ] as KubeObject[],
    result: "stalled",
    ready: { status: "False", reason: "ChildConflict" },
    details: { TemplateResolved: "True", OptionsValid: "True", ConfigApplied: "False" },
    requests: [
      "PATCH CallbackService",
      "GET ConfigMap",
      "GET StatefulSet",
      "GET Ingress",
      "PATCH status",
      "event Warning ChildConflict",
    ],
  },
  {
    name: "ApplyChildren: a child the apiserver refuses (422) stalls",
    service: service({ template: "callback" }),
    failures: { "/statefulsets/support": new KubeApiError(422, "Invalid", "spec.replicas: bad") },
    result: "stalled",
    ready: { status: "False", reason: "ApplyFailed" },
    details: { ConfigApplied: "False", ...unknownRest },
    requests: [
      "PATCH CallbackService",
      ...gets,
      ...applies,
      "PATCH status",
      "event Warning ApplyFailed",
    ],
  },
  {
    name: "ApplyChildren: a 500 is retried, after the status says so",
    service: service({ template: "callback" }),
    failures: { "/statefulsets/support": new KubeApiError(500, "", "etcd is away") },
    result: /etcd is away/,
    ready: { status: "False", reason: "ReconciliationFailed" },
    details: { TemplateResolved: "True", ConfigApplied: "False", ...unknownRest },
    requests: [
      "PATCH CallbackService",
      ...gets,
      ...applies,
      "PATCH status",
      "event Warning ReconciliationFailed",
    ],
  },
  {
    name: "ApplyChildren: a conflict (409) is retried, not stalled",
    service: service({ template: "callback" }),
    failures: { "/configmaps/service.support": new KubeApiError(409, "Conflict", "try again") },
    result: /try again/,
    ready: { status: "False", reason: "ReconciliationFailed" },
    requests: [
      "PATCH CallbackService",
      ...gets,
      "PATCH ConfigMap",
      "PATCH status",
      "event Warning ReconciliationFailed",
    ],
  },
  {
    name: "LabelService: a failed label apply is retried; nothing after it was evaluated",
    service: service({ template: "callback" }),
    failures: { "/callbackservices/support": new KubeApiError(503, "", "apiserver busy") },
    result: /apiserver busy/,
    ready: { status: "False", reason: "ReconciliationFailed" },
    details: { TemplateResolved: "Unknown", OptionsValid: "Unknown", ConfigApplied: "False" },
    requests: ["PATCH CallbackService", "PATCH status", "event Warning ReconciliationFailed"],
  },
  {
    name: "ObserveHealth: a StatefulSet not yet available waits (done; a child event wakes it)",
    service: service({ template: "callback" }),
    result: "done",
    ready: { status: "False", reason: "DeploymentUnavailable" },
    details: { ConfigApplied: "True", DeploymentAvailable: "False", RouteAccepted: "True" },
    requests: ["PATCH CallbackService", ...gets, ...applies, "PATCH status"],
  },
  {
    name: "ObserveHealth: everything available is Ready",
    service: service({ template: "callback" }),
    statuses: { StatefulSet: available },
    result: "done",
    ready: { status: "True", reason: "ReconciliationSucceeded" },
    details: { ConfigApplied: "True", DeploymentAvailable: "True", RouteAccepted: "True" },
    requests: [
      "PATCH CallbackService",
      ...gets,
      ...applies,
      "PATCH status",
      "event Normal ReconciliationSucceeded",
    ],
  },
];

function deps(row: Row, api: FakeApi, events: string[]): ReconcilerDeps {
  const services = new MapCache<CallbackService>();
  if (row.service !== undefined) services.items.set(`${namespace}/support`, row.service);
  const templates = new MapCache<ServiceTemplate>();
  for (const t of row.templates ?? [builtinCallbackTemplate])
    templates.items.set(t.metadata.name, t);
  const caches = new Map<ChildKind, MapCache<KubeObject>>(
    childKinds.map((kind) => [kind, new MapCache<KubeObject>()]),
  );
  for (const child of row.children ?? []) {
    caches.get(child.kind as ChildKind)?.items.set(`${namespace}/${child.metadata.name}`, child);
  }
  return {
    client: api as unknown as KubeApi,
    services,
    templates,
    children: caches,
    config: { ...defaultRenderConfig, ...row.config },
    fieldManager: "test",
    events: {
      record: (_object, type, reason) => {
        events.push(`event ${type} ${reason}`);
        return Promise.resolve();
      },
    },
    log: pino({ level: "silent" }),
    clock: new ManualClock("2026-11-25T12:00:00Z"),
  };
}

/** "PATCH Deployment", "GET ConfigMap", "PATCH status", "PATCH CallbackService", "DELETE ...". */
function describeRequest(sent: Sent): string {
  if (sent.path.endsWith("/status")) return `${sent.method} status`;
  const kind = (sent.body as { kind?: string } | undefined)?.kind;
  if (kind !== undefined) return `${sent.method} ${kind}`;
  const plural = sent.path.split("/").at(-2) ?? "";
  const kinds: Record<string, string> = {
    configmaps: "ConfigMap",
    deployments: "Deployment",
    statefulsets: "StatefulSet",
    services: "Service",
    ingresses: "Ingress",
    httproutes: "HTTPRoute",
  };
  return `${sent.method} ${kinds[plural] ?? sent.path}`;
}

function statusOf(api: FakeApi): { conditions?: Condition[] } | undefined {
  const write = api.sent.find((s) => s.path.endsWith("/status"));
  return (write?.body as { status?: { conditions?: Condition[] } } | undefined)?.status;
}

describe("reconcileService, one row per step outcome", () => {
  it.each(rows.map((row) => [row.name, row] as const))("%s", async (_name, row) => {
    const api = new FakeApi(row.failures, row.statuses);
    const events: string[] = [];
    const run = reconcileService(deps(row, api, events), `${namespace}/support`);
    if (row.result instanceof RegExp) await expect(run).rejects.toThrow(row.result);
    else await expect(run).resolves.toBe(row.result);
    const requests = [...api.sent.map(describeRequest), ...events];
    expect(requests).toEqual(row.requests);
    const conditions = statusOf(api)?.conditions ?? [];
    const status = (type: string) => conditions.find((c) => c.type === type)?.status;
    if (row.ready !== undefined) {
      expect(conditions.find((c) => c.type === "Ready")).toMatchObject(row.ready);
    }
    for (const [type, expected] of Object.entries(row.details ?? {})) {
      expect(status(type), type).toBe(expected);
    }
    // Stalled exactly when the result says so; Reconciling exactly when retrying or waiting.
    if (row.ready !== undefined && row.ready.reason !== "Suspended") {
      expect(status("Stalled")).toBe(row.result === "stalled" ? "True" : undefined);
    }
  });

  /** A service whose StatefulSet (of its own) exists with `spec`. */
  const withStatefulSet = (api: Record<string, unknown>, spec?: Record<string, unknown>): Row => ({
    name: "existing StatefulSet",
    service: service({ template: "callback", api }),
    children: [
      {
        apiVersion: "apps/v1",
        kind: "StatefulSet",
        metadata: {
          name: "support",
          namespace,
          ownerReferences: [
            {
              apiVersion: "callback-operator.io/v1alpha1",
              kind: "CallbackService",
              name: "support",
              uid,
              controller: true,
            },
          ],
        },
        ...(spec === undefined ? {} : { spec }),
      },
    ] as KubeObject[],
    result: "done",
    requests: [],
  });

  it("deletes its StatefulSet when the service moves to PostgreSQL (the claim stays for migrate)", async () => {
    const api = new FakeApi();
    const row = withStatefulSet({ databaseSecretRef: { name: "db" } });
    await reconcileService(deps(row, api, []), `${namespace}/support`);
    expect(api.sent.map(describeRequest)).toContain("PATCH Deployment");
    expect(api.sent.filter((s) => s.method === "DELETE").map((s) => s.path)).toEqual([
      `/apis/apps/v1/namespaces/${namespace}/statefulsets/support`,
    ]);
  });

  // gms-reference-2.md §2: a GMS builtin office-hours service is a section only (ADR 0102).
  it("makes a section-only service Ready with its ConfigMap alone, and prunes the workload, Service and route of its callback past", async () => {
    const owner = {
      apiVersion: "callback-operator.io/v1alpha1",
      kind: "CallbackService",
      name: "support",
      uid,
      controller: true,
    };
    const past = (apiVersion: string, kind: string): KubeObject => ({
      apiVersion,
      kind,
      metadata: { name: "support", namespace, ownerReferences: [owner] },
    });
    const row: Row = {
      name: "section-only",
      service: service({ template: "office-hours", scenario: "Weekdays" }),
      templates: [builtinCallbackTemplate, ...builtinSectionTemplates],
      children: [
        past("apps/v1", "StatefulSet"),
        past("v1", "Service"),
        past("networking.k8s.io/v1", "Ingress"),
      ],
      result: "done",
      requests: [],
    };
    const api = new FakeApi();
    const events: string[] = [];
    await expect(reconcileService(deps(row, api, events), `${namespace}/support`)).resolves.toBe(
      "done",
    );
    const requests = api.sent.map(describeRequest);
    expect(requests.filter((r) => r.startsWith("PATCH ") || r.startsWith("GET "))).toEqual([
      "PATCH CallbackService",
      "GET ConfigMap",
      "PATCH ConfigMap",
      "PATCH status",
    ]);
    expect(requests.filter((r) => r.startsWith("DELETE")).sort()).toEqual([
      "DELETE Ingress",
      "DELETE Service",
      "DELETE StatefulSet",
    ]);
    const status = statusOf(api) as { conditions?: Condition[]; url?: string } | undefined;
    expect(status?.conditions?.find((c) => c.type === "Ready")).toMatchObject({ status: "True" });
    expect(status?.url).toBeUndefined();
    expect(events).toEqual(["event Normal ReconciliationSucceeded"]);
  });

  it("warns in status when a named office-hours service is missing", async () => {
    const row: Row = {
      name: "linked",
      service: service({
        template: "callback",
        options: { _business_hours_service: "office", _route_point: "8999@SIP_Switch" },
      }),
      result: "done",
      requests: [],
    };
    const api = new FakeApi();
    await reconcileService(deps(row, api, []), `${namespace}/support`);
    const status = statusOf(api) as { warnings?: string[] } | undefined;
    expect(status?.warnings).toEqual([
      expect.stringMatching(
        /^option _business_hours_service: the office-hours service office does not exist in namespace contact-centre/,
      ),
    ]);
  });

  it("keeps a StatefulSet's claim template when spec.api.storage changes after creation, and says so in status.warnings", async () => {
    const liveClaims = [
      {
        apiVersion: "v1",
        kind: "PersistentVolumeClaim",
        metadata: { name: "data" },
        spec: {
          accessModes: ["ReadWriteOnce"],
          resources: { requests: { storage: "1Gi" } },
          volumeMode: "Filesystem",
        },
      },
    ];
    const api = new FakeApi();
    const row = withStatefulSet({ storage: { size: "5Gi" } }, { volumeClaimTemplates: liveClaims });
    await reconcileService(deps(row, api, []), `${namespace}/support`);
    const applied = api.sent.find(
      (s) => s.method === "PATCH" && (s.body as KubeObject).kind === "StatefulSet",
    );
    expect(
      (applied?.body as { spec: { volumeClaimTemplates: unknown } }).spec.volumeClaimTemplates,
    ).toEqual(liveClaims);
    const status = api.sent.find((s) => s.path.endsWith("/status"))?.body as {
      status: { warnings?: string[] };
    };
    expect(status.status.warnings).toContainEqual(
      expect.stringContaining("kubectl patch pvc data-support-0"),
    );
  });

  it("sends nothing at all for a service whose children and status are up to date", async () => {
    const first = new FakeApi({}, { StatefulSet: available });
    const row = rows.find((r) => r.name.endsWith("is Ready"))!;
    await reconcileService(deps(row, first, []), `${namespace}/support`);
    const applied = first.sent.filter((s) => s.method === "PATCH").map((s) => s.body as KubeObject);
    const labels = applied.find((o) => o.kind === "CallbackService" && o["status"] === undefined)!;
    const status = applied.find((o) => o["status"] !== undefined && o.kind === "CallbackService")?.[
      "status"
    ] as CallbackService["status"];
    const settled: Row = {
      ...row,
      service: {
        ...row.service!,
        metadata: { ...row.service!.metadata, labels: labels.metadata.labels ?? {} },
        status,
      },
      // The applied children as the cache holds them: the render sets their owner reference.
      children: applied
        .filter((o) => o.kind !== "CallbackService")
        .map((o) => (o.kind === "StatefulSet" ? { ...o, status: available } : o)),
    };
    const second = new FakeApi();
    await expect(reconcileService(deps(settled, second, []), `${namespace}/support`)).resolves.toBe(
      "done",
    );
    expect(second.sent).toEqual([]);
  });
});
