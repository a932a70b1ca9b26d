// The steps of a service reconcile (service-reconciler.ts runs them in stepNames order). Each has
// one signature: it reads and extends the run, and returns or throws (outcome.ts says what a throw
// becomes). The plan is rendered before the first step, without I/O; the steps check it and carry
// it out.
import type { CallbackService } from "../api/callback-service.ts";
import { apiVersion, groupLabelKey, groupLabelPrefix, kinds, labelKeys } from "../api/group.ts";
import type { ChildObject } from "../render/children.ts";
import type { RenderResult } from "../render/render.ts";
import { isConflict, isNotFound, KubeApiError, type KubeObject } from "../runtime/kube-client.ts";
import { routeHealth, workloadHealth, type Health } from "./child-health.ts";
import { StalledError, WaitingError, stalledReasons, type StepName } from "./outcome.ts";
import { childKinds, isChildKind, objectPath, type ChildKind } from "./resources.ts";
import { containsDesired, staleKeys } from "./semantic-equal.ts";
import type { ReconcilerDeps } from "./service-reconciler.ts";

type Plan = Extract<RenderResult, { ok: true }>;
type OwnedChild = ChildObject & { kind: ChildKind };

/** One reconcile of one service: what it started from and what the steps found so far. */
export interface Run {
  readonly deps: ReconcilerDeps;
  readonly service: CallbackService;
  readonly plan: RenderResult;
  /** CheckOwnership: each child as it is now (undefined: missing), in the plan's order. */
  current: readonly (KubeObject | undefined)[];
  /** ApplyChildren: each child after the apply, by kind. */
  readonly applied: Map<string, KubeObject>;
  /** ObserveHealth: the children's health. */
  health?: { readonly deployment: Health; readonly route: Health };
  /** What the steps found that the plan could not know (added to status.warnings). */
  readonly warnings: string[];
}

export type Step = (run: Run) => Promise<void>;

export const steps: Readonly<Record<StepName, Step>> = {
  LabelService: labelService,
  ResolveTemplate: resolved("ResolveTemplate"),
  ResolveOptions: resolved("ResolveOptions"),
  ResolveRoute: resolved("ResolveRoute"),
  CheckOwnership: checkOwnership,
  ApplyChildren: applyChildren,
  Prune: pruneOtherKinds,
  ObserveHealth: observeHealth,
};

/** The plan of a run whose Resolve steps passed. */
function plan(run: Run): Plan {
  if (!run.plan.ok) throw new Error("a step ran after a failed plan");
  return run.plan;
}

function owned(run: Run): OwnedChild[] {
  return plan(run).children.filter((child): child is OwnedChild => isChildKind(child.kind));
}

/**
 * Template and group labels on the CallbackService itself, applied with the operator's own field
 * manager: labels set by users or GitOps tools stay theirs. Groups the service had before (its
 * status.serviceGroups) and has no more are dropped from the apply, which removes their labels.
 * First, and even when the plan failed: `kubectl get -l` finds a Stalled service by them too.
 */
async function labelService({
  deps,
  service,
  plan: { serviceLabels: labels },
}: Run): Promise<void> {
  const current = service.metadata.labels ?? {};
  const previousGroups = new Set((service.status?.serviceGroups ?? []).map(groupLabelKey));
  const stale = staleKeys(labels, current, groupLabelPrefix).filter((key) =>
    previousGroups.has(key),
  );
  // The template label goes when the template's name cannot be one (render.ts).
  if (!(labelKeys.template in labels) && labelKeys.template in current) {
    stale.push(labelKeys.template);
  }
  const missing = Object.entries(labels).some(([key, value]) => current[key] !== value);
  if (!missing && stale.length === 0) return;
  const { name, namespace } = service.metadata;
  await deps.client.apply(
    objectPath("CallbackService", namespace, name),
    { apiVersion, kind: kinds.callbackService.kind, metadata: { name, namespace, labels } },
    deps.fieldManager,
  );
}

/** The Resolve steps turn the plan's verdict into a stall, each for the reasons it owns. */
function resolved(step: "ResolveTemplate" | "ResolveOptions" | "ResolveRoute"): Step {
  return ({ plan }) => {
    if (!plan.ok && stalledReasons[plan.reason] === step) {
      return Promise.reject(new StalledError(plan.reason, plan.message));
    }
    return Promise.resolve();
  };
}

/**
 * Never adopt: every child is looked up, and an object of a child's name that this service does
 * not control stops the service before anything is written. A child of ours is in the label cache;
 * a name no object holds (the names view, ADR 0128) is free; only a name held by an object the
 * label cache lacks (someone else's, or ours with its label removed by hand) costs a GET, and the
 * GET's answer decides. Without a names view of the kind, every miss is looked up.
 */
async function checkOwnership(run: Run): Promise<void> {
  const { deps, service } = run;
  const children = owned(run);
  run.current = await Promise.all(
    children.map(async (child) => {
      const { namespace, name } = child.metadata;
      const key = `${namespace}/${name}`;
      const cached = deps.children.get(child.kind)?.get(key);
      if (cached !== undefined) return cached;
      const names = deps.childNames.get(child.kind);
      if (names !== undefined && names.get(key) === undefined) return undefined;
      return await fetchUnlessMissing(run, child.kind, namespace, name);
    }),
  );
  children.forEach((child, i) => {
    refuseUnlessOurs(service, child, run.current[i]);
  });
}

/** Stalls on an object of the child's name that this service does not control. */
function refuseUnlessOurs(
  service: CallbackService,
  child: OwnedChild,
  current: KubeObject | undefined,
): void {
  const controller = current?.metadata.ownerReferences?.find((ref) => ref.controller === true);
  if (current === undefined || controller?.uid === service.metadata.uid) return;
  const owner =
    controller === undefined
      ? "is not owned by any controller"
      : `is controlled by ${controller.kind} ${controller.name}`;
  throw new StalledError(
    "ChildConflict",
    `${child.kind} ${child.metadata.namespace}/${child.metadata.name} already exists and ${owner}; the operator does not adopt it. Delete or rename it, or rename the CallbackService`,
  );
}

async function fetchUnlessMissing(
  { deps }: Run,
  kind: ChildKind,
  namespace: string,
  name: string,
): Promise<KubeObject | undefined> {
  try {
    return await deps.client.get(objectPath(kind, namespace, name));
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/**
 * Applies what differs, in as few round trips as the ordering allows: the ConfigMap first (the
 * pods mount it), then the other children together.
 */
async function applyChildren(run: Run): Promise<void> {
  const { deps, service } = run;
  const previousGroups = new Set((service.status?.serviceGroups ?? []).map(groupLabelKey));
  const stale: { child: OwnedChild; current: KubeObject | undefined }[] = [];
  owned(run).forEach((planned, i) => {
    const current = run.current[i];
    const child = planned.kind === "StatefulSet" ? keepClaims(run, planned, current) : planned;
    if (current !== undefined && upToDate(child, current, previousGroups)) {
      run.applied.set(child.kind, current);
    } else {
      stale.push({ child, current });
    }
  });
  const apply = async ({ child, current }: (typeof stale)[number]): Promise<void> => {
    const { namespace, name } = child.metadata;
    const path = objectPath(child.kind, namespace, name);
    try {
      if (current === undefined) await createOrCheck(run, child, path);
      else run.applied.set(child.kind, await deps.client.apply(path, child, deps.fieldManager));
    } catch (error) {
      throw asStalledIfRefused(error, child);
    }
    deps.log.info(
      { service: `${namespace}/${service.metadata.name}`, kind: child.kind, name },
      current === undefined ? "Created child" : "Updated child",
    );
  };
  const first = stale.filter((s) => s.child.kind === "ConfigMap");
  const rest = stale.filter((s) => s.child.kind !== "ConfigMap");
  for (const stage of [first, rest]) {
    // allSettled: a failed apply must not leave its siblings running unobserved.
    const failed = (await Promise.allSettled(stage.map(apply))).find(
      (r): r is PromiseRejectedResult => r.status === "rejected",
    );
    if (failed !== undefined) throw failed.reason;
  }
}

/**
 * No object can have this resourceVersion: it is beyond any etcd revision (an int64), and the
 * apiserver compares it as an unsigned 64-bit number.
 */
const noObjectsVersion = "18446744073709551615";

/**
 * A child the ownership check found missing is applied with a resourceVersion no object has. A
 * create ignores it (an apply that creates has nothing to compare it with); an apply to an
 * existing object is refused with 409 Conflict, since its resourceVersion differs. So an object
 * of that name created after the check (by someone else, or ours not yet in the caches) is never
 * written: the apply fails, and the retry looks at the name again (ADR 0128).
 */
function createOnly(child: OwnedChild): object {
  return { ...child, metadata: { ...child.metadata, resourceVersion: noObjectsVersion } };
}

/**
 * Creates a child the check found missing, create-only (createOnly). When its name was taken
 * meanwhile (409), one GET decides: someone else's object stalls the service, ours (applied by
 * the previous pass, its watch event not here yet) is applied as usual if it differs, and one
 * deleted again meanwhile is left to the retry.
 */
async function createOrCheck(run: Run, child: OwnedChild, path: string): Promise<void> {
  const { deps, service } = run;
  try {
    run.applied.set(
      child.kind,
      await deps.client.apply(path, createOnly(child), deps.fieldManager),
    );
    return;
  } catch (error) {
    if (!isConflict(error)) throw error;
  }
  const { namespace, name } = child.metadata;
  const found = await fetchUnlessMissing(run, child.kind, namespace, name);
  if (found === undefined)
    throw new Error(
      `${child.kind} ${namespace}/${name} was created and deleted while the operator created it`,
    );
  refuseUnlessOurs(service, child, found);
  const previousGroups = new Set((service.status?.serviceGroups ?? []).map(groupLabelKey));
  run.applied.set(
    child.kind,
    upToDate(child, found, previousGroups)
      ? found
      : await deps.client.apply(path, child, deps.fieldManager),
  );
}

/**
 * A StatefulSet's volume claim templates cannot change after it is created: an apply that changes
 * them is refused, and every later change of the service with it. The live ones are kept, and a
 * warning says what was asked (the claim can be expanded by hand when its StorageClass allows).
 */
function keepClaims(run: Run, planned: OwnedChild, current: KubeObject | undefined): OwnedChild {
  const live = (current?.["spec"] as { volumeClaimTemplates?: unknown[] } | undefined)
    ?.volumeClaimTemplates;
  if (live === undefined) return planned;
  const spec = planned["spec"] as { volumeClaimTemplates: unknown[] };
  if (containsDesired(spec.volumeClaimTemplates, live)) return planned;
  const claim = `data-${planned.metadata.name}-0`;
  run.warnings.push(
    `spec.api.storage: size and storageClassName are read when the volume claim is created, and ${claim} exists; the StatefulSet keeps its claim template. Expand the claim with kubectl patch pvc ${claim} (if its StorageClass allows expansion), or move the callbacks with callback-api migrate`,
  );
  return { ...planned, spec: { ...spec, volumeClaimTemplates: live } };
}

/**
 * Whether the child already holds everything we would apply. The ConfigMap's data must match
 * exactly (a removed option is a difference), and group labels of groups the service left must be
 * gone.
 */
function upToDate(
  child: ChildObject,
  current: KubeObject,
  previousGroups: ReadonlySet<string>,
): boolean {
  if (!containsDesired(child, current)) return false;
  const stale = staleKeys(child.metadata.labels, current.metadata.labels, groupLabelPrefix);
  if (stale.some((key) => previousGroups.has(key))) return false;
  if (child.kind === "ConfigMap") {
    const data = (current["data"] ?? {}) as Record<string, string>;
    return Object.keys(data).length === Object.keys(child["data"] as Record<string, string>).length;
  }
  return true;
}

/** 4xx answers other than conflicts and throttling will not change on retry: they need a person. */
function asStalledIfRefused(error: unknown, child: ChildObject): unknown {
  if (
    error instanceof KubeApiError &&
    error.status >= 400 &&
    error.status < 500 &&
    ![409, 429].includes(error.status)
  ) {
    return new StalledError(
      "ApplyFailed",
      `The apiserver refused ${child.kind} ${child.metadata.name}: ${error.message}`,
    );
  }
  return error;
}

/**
 * A service that switched between Ingress and HTTPRoute, between PostgreSQL (Deployment) and the
 * embedded database (StatefulSet), or between a callback and a section-only template (which renders
 * only its ConfigMap), leaves kinds behind: delete each kind of child the plan no longer has. A
 * StatefulSet's volume claim is not deleted with it unless its retention policy says so: the
 * embedded callbacks stay for `callback-api migrate` (docs/operations.md).
 */
async function pruneOtherKinds(run: Run): Promise<void> {
  const planned = new Set(plan(run).children.map((child) => child.kind));
  // Every child but the ConfigMap is named after the service; the ConfigMap is always planned.
  await Promise.all(
    childKinds.filter((kind) => !planned.has(kind)).map((kind) => pruneIfOurs(run, kind)),
  );
}

async function pruneIfOurs({ deps, service }: Run, kind: ChildKind): Promise<void> {
  const { namespace, name, uid } = service.metadata;
  const existing = deps.children.get(kind)?.get(`${namespace ?? ""}/${name}`);
  const ours = existing?.metadata.ownerReferences?.some(
    (ref) => ref.controller === true && ref.uid === uid,
  );
  if (ours !== true) return;
  try {
    await deps.client.delete(objectPath(kind, namespace, name));
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}

/**
 * Ready once the workload is rolled out and available and the route admitted; until then, waiting.
 * A section-only service is Ready once its ConfigMap is applied: that is all it has.
 */
function observeHealth(run: Run): Promise<void> {
  const { workloadKind, routeKind } = plan(run).facts;
  if (workloadKind === undefined || routeKind === undefined) {
    run.health = sectionOnlyHealth(run);
    return Promise.resolve();
  }
  const deployment = workloadHealth(run.applied.get(workloadKind), workloadKind);
  const route = routeHealth(run.applied.get(routeKind));
  run.health = { deployment, route };
  if (!deployment.ok) {
    return Promise.reject(new WaitingError("DeploymentUnavailable", run.health));
  }
  if (!route.ok) return Promise.reject(new WaitingError("RouteNotAccepted", run.health));
  return Promise.resolve();
}

function sectionOnlyHealth(run: Run): { deployment: Health; route: Health } {
  const name = run.applied.get("ConfigMap")?.metadata.name ?? "";
  return {
    deployment: {
      ok: true,
      message: `Section-only service: no Callback API runs for it; its ConfigMap ${name} is applied and mounted by the callback services that name it`,
    },
    route: { ok: true, message: "Section-only service: not routed" },
  };
}
