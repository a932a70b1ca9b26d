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
import { childKinds, objectPath, type ChildKind } from "./resources.ts";
import {
  reconcileService,
  type ReconcileResult,
  type ReconcilerDeps,
} from "./service-reconciler.ts";
import { StatusHold, waitingGraceMs } from "./status-hold.ts";

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

/** A child of the service under test: controlled by it. */
function ours(apiVersion: string, kind: string, name: string): KubeObject {
  const owner = { apiVersion: "callback-operator.io/v1alpha1", kind: "CallbackService" };
  return {
    apiVersion,
    kind,
    metadata: {
      name,
      namespace,
      ownerReferences: [{ ...owner, name: "support", uid, controller: true }],
    },
  };
}

interface Sent {
  readonly method: string;
  readonly path: string;
  readonly body?: unknown;
}

/**
 * Answers applies with the object sent (plus a status the row chooses), GETs with the objects
 * it holds by path (else 404); errors by path suffix.
 */
class FakeApi implements Partial<KubeApi> {
  readonly sent: Sent[] = [];
  readonly failures: Readonly<Record<string, KubeApiError>>;
  statuses: Readonly<Record<string, unknown>>;
  readonly objects = new Map<string, KubeObject>();
  constructor(
    failures: Readonly<Record<string, KubeApiError>> = {},
    statuses: Readonly<Record<string, unknown>> = {},
  ) {
    this.failures = failures;
    this.statuses = statuses;
  }
  /** Keys are path suffixes; "create " before one fails only a create-only apply. */
  #failure(path: string, body: unknown): KubeApiError | undefined {
    const creating = (body as KubeObject).metadata.resourceVersion !== undefined;
    return Object.entries(this.failures).find(([key]) => {
      const suffix = key.replace(/^create /, "");
      return path.endsWith(suffix) && (creating || suffix === key);
    })?.[1];
  }
  get<T extends KubeObject>(path: string): Promise<T> {
    this.sent.push({ method: "GET", path });
    const object = this.objects.get(path);
    if (object !== undefined) return Promise.resolve(object as T);
    return Promise.reject(new KubeApiError(404, "NotFound", `${path} not found`));
  }
  apply<T extends KubeObject>(path: string, object: unknown): Promise<T> {
    this.sent.push({ method: "PATCH", path, body: object });
    const failure = this.#failure(path, object);
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
  /** Children in the label cache (and the names view). */
  readonly children?: readonly KubeObject[];
  /** Objects of a child's name without our label: in the names view only, answered by GET. */
  readonly foreign?: readonly KubeObject[];
  /** Objects created after the check: in no cache, answered by GET. */
  readonly appeared?: readonly KubeObject[];
  readonly failures?: Readonly<Record<string, KubeApiError>>;
  readonly statuses?: Readonly<Record<string, unknown>>;
  /** What reconcileService comes to: its result, or the message it throws. */
  readonly result: ReconcileResult | RegExp;
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
const applies = children.map((kind) => `PATCH ${kind}`);
/** A service whose status has observed its generation: a waiting outcome is written at once. */
const observed = (s: CallbackService): CallbackService => ({
  ...s,
  status: { observedGeneration: s.metadata.generation },
});

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
    name: "CheckOwnership: a Service of the same name owned by nobody stalls, nothing applied; only its name is looked up",
    service: service({ template: "callback" }),
    foreign: [
      { apiVersion: "v1", kind: "Service", metadata: { name: "support", namespace } },
    ] as KubeObject[],
    result: "stalled",
    ready: { status: "False", reason: "ChildConflict" },
    details: { TemplateResolved: "True", OptionsValid: "True", ConfigApplied: "False" },
    requests: [
      "PATCH CallbackService",
      "GET Service",
      "PATCH status",
      "event Warning ChildConflict",
    ],
  },
  {
    name: "CheckOwnership: a Deployment of the same name controlled by another owner stalls",
    service: service({ template: "callback", api: { databaseSecretRef: { name: "db" } } }),
    foreign: [
      {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: {
          name: "support",
          namespace,
          ownerReferences: [
            {
              apiVersion: "example.com/v1",
              kind: "App",
              name: "support",
              uid: "uid-2",
              controller: true,
            },
          ],
        },
      },
    ] as KubeObject[],
    result: "stalled",
    ready: { status: "False", reason: "ChildConflict" },
    requests: [
      "PATCH CallbackService",
      "GET Deployment",
      "PATCH status",
      "event Warning ChildConflict",
    ],
  },
  {
    name: "CheckOwnership: a child of ours whose label was removed by hand is looked up and applied",
    service: observed(service({ template: "callback" })),
    foreign: [ours("v1", "Service", "support")] as KubeObject[],
    result: "done",
    ready: { status: "False", reason: "DeploymentUnavailable" },
    requests: ["PATCH CallbackService", "GET Service", ...applies, "PATCH status"],
  },
  {
    name: "ApplyChildren: a child the apiserver refuses (422) stalls",
    service: service({ template: "callback" }),
    failures: { "/statefulsets/support": new KubeApiError(422, "Invalid", "spec.replicas: bad") },
    result: "stalled",
    ready: { status: "False", reason: "ApplyFailed" },
    details: { ConfigApplied: "False", ...unknownRest },
    requests: ["PATCH CallbackService", ...applies, "PATCH status", "event Warning ApplyFailed"],
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
      ...applies,
      "PATCH status",
      "event Warning ReconciliationFailed",
    ],
  },
  {
    name: "ApplyChildren: a name taken by someone else after the check (409 creating it) stalls, untouched",
    service: service({ template: "callback" }),
    failures: {
      "create /configmaps/service.support": new KubeApiError(409, "Conflict", "modified"),
    },
    appeared: [
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "service.support", namespace } },
    ] as KubeObject[],
    result: "stalled",
    ready: { status: "False", reason: "ChildConflict" },
    requests: [
      "PATCH CallbackService",
      "PATCH ConfigMap",
      "GET ConfigMap",
      "PATCH status",
      "event Warning ChildConflict",
    ],
  },
  {
    name: "ApplyChildren: a child of ours not yet in the caches (409 creating it) is applied as usual",
    service: observed(service({ template: "callback" })),
    failures: {
      "create /configmaps/service.support": new KubeApiError(409, "Conflict", "modified"),
    },
    appeared: [ours("v1", "ConfigMap", "service.support")] as KubeObject[],
    result: "done",
    ready: { status: "False", reason: "DeploymentUnavailable" },
    requests: [
      "PATCH CallbackService",
      "PATCH ConfigMap",
      "GET ConfigMap",
      "PATCH ConfigMap",
      "PATCH StatefulSet",
      "PATCH Service",
      "PATCH Ingress",
      "PATCH status",
    ],
  },
  {
    name: "ApplyChildren: a name taken and freed again while creating it is retried",
    service: service({ template: "callback" }),
    failures: {
      "create /configmaps/service.support": new KubeApiError(409, "Conflict", "modified"),
    },
    result:
      /ConfigMap contact-centre\/service.support was created and deleted while the operator created it/,
    ready: { status: "False", reason: "ReconciliationFailed" },
    requests: [
      "PATCH CallbackService",
      "PATCH ConfigMap",
      "GET ConfigMap",
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
    service: observed(service({ template: "callback" })),
    result: "done",
    ready: { status: "False", reason: "DeploymentUnavailable" },
    details: { ConfigApplied: "True", DeploymentAvailable: "False", RouteAccepted: "True" },
    requests: ["PATCH CallbackService", ...applies, "PATCH status"],
  },
  {
    name: "ObserveHealth: waiting on a generation the status has not observed holds the status back",
    service: service({ template: "callback" }),
    result: { requeueAfterMs: waitingGraceMs },
    requests: ["PATCH CallbackService", ...applies],
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
  const names = new Map<ChildKind, MapCache<KubeObject>>(
    childKinds.map((kind) => [kind, new MapCache<KubeObject>()]),
  );
  for (const child of row.children ?? []) {
    caches.get(child.kind as ChildKind)?.items.set(`${namespace}/${child.metadata.name}`, child);
  }
  for (const child of [...(row.children ?? []), ...(row.foreign ?? [])]) {
    names.get(child.kind as ChildKind)?.items.set(`${namespace}/${child.metadata.name}`, child);
  }
  for (const child of [...(row.foreign ?? []), ...(row.appeared ?? [])]) {
    const kind = child.kind as ChildKind;
    api.objects.set(objectPath(kind, namespace, child.metadata.name), child);
  }
  return {
    client: api as unknown as KubeApi,
    services,
    templates,
    children: caches,
    childNames: names,
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
    statusHold: new StatusHold(),
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
    else await expect(run).resolves.toEqual(row.result);
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
    service: observed(service({ template: "callback", api })),
    children: [
      {
        ...ours("apps/v1", "StatefulSet", "support"),
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
      service: observed(
        service({
          template: "callback",
          options: { _business_hours_service: "office", _route_point: "8999@SIP_Switch" },
        }),
      ),
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

  it("creates a missing child only if no object has its name by then: a resourceVersion no object has", async () => {
    const api = new FakeApi();
    const row = withStatefulSet({});
    await reconcileService(deps(row, api, []), `${namespace}/support`);
    const versions = Object.fromEntries(
      api.sent
        .filter((s) => s.method === "PATCH" && !s.path.endsWith("/status"))
        .map((s) => [describeRequest(s), (s.body as KubeObject).metadata.resourceVersion]),
    );
    expect(versions).toEqual({
      "PATCH CallbackService": undefined,
      "PATCH ConfigMap": "18446744073709551615",
      // In the cache: applied as it is, whatever its version now.
      "PATCH StatefulSet": undefined,
      "PATCH Service": "18446744073709551615",
      "PATCH Ingress": "18446744073709551615",
    });
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

describe("one status write per convergence (status-hold.ts)", () => {
  const newService = rows.find((r) => r.name.includes("holds the status back"))!;
  const statusWrites = (api: FakeApi) => api.sent.filter((s) => s.path.endsWith("/status"));
  /** Reconciles the new service with one clock and hold across passes, each on its own fake. */
  function passes() {
    const clock = new ManualClock("2026-11-25T12:00:00Z");
    const statusHold = new StatusHold();
    const events: string[] = [];
    const pass = (api: FakeApi) =>
      reconcileService(
        { ...deps(newService, api, events), clock, statusHold },
        `${namespace}/support`,
      );
    return { clock, events, pass };
  }
  const ready = (api: FakeApi) => statusOf(api)?.conditions?.find((c) => c.type === "Ready");

  it("writes Ready directly when the workload becomes available within the grace", async () => {
    const { clock, events, pass } = passes();
    const first = new FakeApi();
    await expect(pass(first)).resolves.toEqual({ requeueAfterMs: waitingGraceMs });
    expect(statusWrites(first)).toEqual([]);
    clock.advance(800);
    const second = new FakeApi({}, { StatefulSet: available });
    await expect(pass(second)).resolves.toBe("done");
    expect(statusWrites(second)).toHaveLength(1);
    expect(ready(second)).toMatchObject({ status: "True", reason: "ReconciliationSucceeded" });
    expect(events).toEqual(["event Normal ReconciliationSucceeded"]);
  });

  it("writes Progressing once the grace has passed with the workload still unavailable", async () => {
    const { clock, events, pass } = passes();
    await expect(pass(new FakeApi())).resolves.toEqual({ requeueAfterMs: waitingGraceMs });
    clock.advance(2_000);
    const early = new FakeApi();
    await expect(pass(early)).resolves.toEqual({ requeueAfterMs: waitingGraceMs - 2_000 });
    expect(statusWrites(early)).toEqual([]);
    clock.advance(waitingGraceMs - 2_000);
    const late = new FakeApi();
    await expect(pass(late)).resolves.toBe("done");
    expect(statusWrites(late)).toHaveLength(1);
    expect(ready(late)).toMatchObject({ status: "False", reason: "DeploymentUnavailable" });
    expect(events).toEqual([]);
  });

  it("never holds back a stall or a failure found during the grace", async () => {
    const { clock, events, pass } = passes();
    await pass(new FakeApi());
    clock.advance(1_000);
    const refused = new FakeApi({
      "/statefulsets/support": new KubeApiError(422, "Invalid", "spec.replicas: bad"),
    });
    await expect(pass(refused)).resolves.toBe("stalled");
    expect(ready(refused)).toMatchObject({ status: "False", reason: "ApplyFailed" });
    const failing = new FakeApi({
      "/statefulsets/support": new KubeApiError(500, "", "etcd is away"),
    });
    await expect(pass(failing)).rejects.toThrow(/etcd is away/);
    expect(ready(failing)).toMatchObject({ status: "False", reason: "ReconciliationFailed" });
    expect(events).toEqual(["event Warning ApplyFailed", "event Warning ReconciliationFailed"]);
  });
});
