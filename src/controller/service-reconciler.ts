// Reconciles one CallbackService: render, guard ownership, apply what differs, report status.
// Level-triggered: it reads the cache, never the event that woke it.
import type { Logger } from "pino";
import type { CallbackService, CallbackServiceStatus } from "../api/callback-service.ts";
import {
  annotationKeys,
  apiVersion,
  groupLabelKey,
  groupLabelPrefix,
  kinds,
  labelKeys,
} from "../api/group.ts";
import type { ServiceTemplate } from "../api/service-template.ts";
import type { ChildObject } from "../render/children.ts";
import { contentHash } from "../render/hash.ts";
import type { RenderConfig } from "../render/render-config.ts";
import { render, type RenderFacts } from "../render/render.ts";
import { deploymentHealth, routeHealth } from "./child-health.ts";
import type { EventRecorder } from "./event-recorder.ts";
import type { Informer } from "./informer.ts";
import { isNotFound, KubeApiError, type KubeClient, type KubeObject } from "./kube-client.ts";
import { isChildKind, objectPath, type ChildKind } from "./resources.ts";
import { containsDesired } from "./semantic-equal.ts";
import { computeConditions, type Outcome } from "./service-status.ts";
import { fitWarnings, requestedAtEcho } from "./status-limits.ts";

export interface ReconcilerDeps {
  readonly client: KubeClient;
  readonly services: Informer<KubeObject>;
  readonly templates: Informer<KubeObject>;
  readonly children: ReadonlyMap<ChildKind, Informer<KubeObject>>;
  readonly config: RenderConfig;
  readonly fieldManager: string;
  readonly events: EventRecorder;
  readonly log: Logger;
  readonly now: () => Date;
}

/** The service cannot progress until a person changes something; retrying will not help. */
class StalledError extends Error {
  override readonly name = "StalledError";
  readonly reason: "ChildConflict" | "ApplyFailed";
  constructor(reason: "ChildConflict" | "ApplyFailed", message: string) {
    super(message);
    this.reason = reason;
  }
}

/**
 * Resolves "stalled" when only a change by a person can help (a terminal error: no retry),
 * "done" otherwise; throws for a transient failure, which the queue retries with backoff.
 */
export async function reconcileService(
  deps: ReconcilerDeps,
  key: string,
): Promise<"done" | "stalled"> {
  const service = deps.services.get(key) as CallbackService | undefined;
  // Deleted: garbage collection removes the children through their owner references.
  if (service === undefined || service.metadata["deletionTimestamp"] !== undefined) return "done";
  const status = service.status ?? {};
  // Suspended: nothing changes, but the status says the latest generation was seen.
  if (service.spec.suspend) {
    await writeStatus(deps, service, {
      ...status,
      observedGeneration: service.metadata.generation ?? 0,
      conditions: suspendedConditions(status, deps.now()),
    });
    return "done";
  }
  const template = deps.templates.get(service.spec.template) as ServiceTemplate | undefined;
  const result = render(service, template, deps.config);
  await applyServiceLabels(deps, service, result.serviceLabels);
  if (!result.ok) {
    await finish(
      deps,
      service,
      { kind: "stalled", reason: result.reason, message: result.message },
      {
        serviceGroups: [...result.serviceGroups],
        warnings: [...result.warnings],
      },
    );
    return "stalled";
  }
  let outcome: Outcome;
  try {
    const applied = await applyChildren(deps, service, result.children);
    await deleteOtherRoute(deps, service, result.facts.routeKind);
    outcome = {
      kind: "applied",
      deployment: deploymentHealth(applied.get("Deployment")),
      route: routeHealth(applied.get(result.facts.routeKind)),
    };
  } catch (error) {
    if (!(error instanceof StalledError)) {
      await finish(
        deps,
        service,
        { kind: "failed", reason: "ReconciliationFailed", message: (error as Error).message },
        factsStatus(result.facts),
      );
      throw error;
    }
    outcome = { kind: "stalled", reason: error.reason, message: error.message };
  }
  await finish(deps, service, outcome, factsStatus(result.facts));
  return outcome.kind === "stalled" ? "stalled" : "done";
}

function factsStatus(facts: RenderFacts): Partial<CallbackServiceStatus> {
  return {
    url: facts.url,
    serviceGroups: [...facts.serviceGroups],
    templateRevision: facts.templateRevision,
    configHash: facts.configHash,
    warnings: [...facts.warnings],
  };
}

function suspendedConditions(
  status: CallbackServiceStatus,
  now: Date,
): CallbackServiceStatus["conditions"] {
  const message =
    "Reconciliation is suspended (spec.suspend is true); the children are left as they are";
  const kept = (status.conditions ?? []).filter(
    (c) => c.type !== "Reconciling" && c.type !== "Stalled",
  );
  const ready = kept.find((c) => c.type === "Ready");
  const when = now.toISOString().replace(/\.\d{3}Z$/, "Z");
  const suspendedReady = {
    type: "Ready",
    status: ready?.status ?? "Unknown",
    reason: "Suspended",
    message,
    lastTransitionTime: ready?.lastTransitionTime ?? when,
  } as const;
  return [suspendedReady, ...kept.filter((c) => c.type !== "Ready")];
}

async function finish(
  deps: ReconcilerDeps,
  service: CallbackService,
  outcome: Outcome,
  facts: Partial<CallbackServiceStatus>,
): Promise<void> {
  const generation = service.metadata.generation ?? 0;
  const previous = service.status ?? {};
  const conditions = computeConditions(outcome, previous.conditions, generation, deps.now());
  const requestedAt = requestedAtEcho(
    annotationKeys.requestedAt,
    service.metadata.annotations?.[annotationKeys.requestedAt],
  );
  const warnings = fitWarnings([
    ...(facts.warnings ?? []),
    ...(requestedAt.warning === undefined ? [] : [requestedAt.warning]),
  ]);
  const next: CallbackServiceStatus = {
    ...facts,
    observedGeneration: generation,
    conditions,
    warnings,
    ...(requestedAt.echo === undefined ? {} : { lastHandledReconcileAt: requestedAt.echo }),
  };
  if (warnings.length === 0) delete next.warnings;
  await writeStatus(deps, service, next);
  await recordTransition(deps, service, previous, next, outcome);
}

async function recordTransition(
  deps: ReconcilerDeps,
  service: CallbackService,
  previous: CallbackServiceStatus,
  next: CallbackServiceStatus,
  outcome: Outcome,
): Promise<void> {
  const object = service as unknown as KubeObject;
  const ready = next.conditions?.find((c) => c.type === "Ready");
  const was = previous.conditions?.find((c) => c.type === "Ready");
  if (ready === undefined || (was?.status === ready.status && was.reason === ready.reason)) return;
  if (outcome.kind === "stalled") {
    await deps.events.record(object, "Warning", outcome.reason, outcome.message);
  } else if (ready.status === "True") {
    await deps.events.record(
      object,
      "Normal",
      "ReconciliationSucceeded",
      `The Callback API is available at ${next.url ?? ""}`,
    );
  } else if (outcome.kind === "failed") {
    await deps.events.record(object, "Warning", outcome.reason, outcome.message);
  }
}

/** Status is written only when it differs, so a steady state makes no requests. */
async function writeStatus(
  deps: ReconcilerDeps,
  service: CallbackService,
  next: CallbackServiceStatus,
): Promise<void> {
  if (contentHash(service.status ?? {}) === contentHash(next)) return;
  const { name, namespace } = service.metadata;
  await deps.client.apply(
    `${objectPath("CallbackService", namespace, name)}/status`,
    { apiVersion, kind: kinds.callbackService.kind, metadata: { name, namespace }, status: next },
    deps.fieldManager,
  );
  deps.log.debug({ service: `${namespace ?? ""}/${name}` }, "Updated status");
}

/**
 * Template and group labels on the CallbackService itself, applied with the operator's own field
 * manager: labels set by users or GitOps tools stay theirs. Groups the service had before (its
 * status.serviceGroups) and has no more are dropped from the apply, which removes their labels.
 */
async function applyServiceLabels(
  deps: ReconcilerDeps,
  service: CallbackService,
  labels: Readonly<Record<string, string>>,
): Promise<void> {
  const current = service.metadata.labels ?? {};
  const stale = (service.status?.serviceGroups ?? [])
    .map(groupLabelKey)
    .filter((key) => !(key in labels) && key in current);
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

/** Applies every child that differs from the desired state; returns the children as they are now. */
/**
 * Applies what differs, in as few round trips as the ordering allows: every missing child is
 * looked up at once (never adopt: a conflict stops the service before anything is written), then
 * the ConfigMap (the pods mount it), then the other children together.
 */
async function applyChildren(
  deps: ReconcilerDeps,
  service: CallbackService,
  children: readonly ChildObject[],
): Promise<Map<string, KubeObject>> {
  const previousGroups = new Set((service.status?.serviceGroups ?? []).map(groupLabelKey));
  const owned = children.filter((child): child is ChildObject & { kind: ChildKind } =>
    isChildKind(child.kind),
  );
  const currents = await Promise.all(
    owned.map(async (child) => {
      const { namespace, name } = child.metadata;
      const cached = deps.children.get(child.kind)?.get(`${namespace}/${name}`);
      return cached ?? (await fetchUnlessMissing(deps, child.kind, namespace, name));
    }),
  );
  const state = new Map<string, KubeObject>();
  const stale: { child: ChildObject & { kind: ChildKind }; current: KubeObject | undefined }[] = [];
  owned.forEach((child, i) => {
    const current = currents[i];
    if (current !== undefined) assertOwned(service, child, current);
    if (current !== undefined && upToDate(child, current, previousGroups)) {
      state.set(child.kind, current);
    } else {
      stale.push({ child, current });
    }
  });
  const apply = async ({ child, current }: (typeof stale)[number]): Promise<void> => {
    const { namespace, name } = child.metadata;
    try {
      state.set(
        child.kind,
        await deps.client.apply(objectPath(child.kind, namespace, name), child, deps.fieldManager),
      );
    } catch (error) {
      throw asStalledIfInvalid(error, child);
    }
    deps.log.info(
      { service: `${namespace}/${service.metadata.name}`, kind: child.kind, name },
      current === undefined ? "Created child" : "Updated child",
    );
  };
  const [first, rest] = [
    stale.filter((s) => s.child.kind === "ConfigMap"),
    stale.filter((s) => s.child.kind !== "ConfigMap"),
  ];
  for (const stage of [first, rest]) {
    // allSettled: a failed apply must not leave its siblings running unobserved.
    const failed = (await Promise.allSettled(stage.map(apply))).find(
      (r): r is PromiseRejectedResult => r.status === "rejected",
    );
    if (failed !== undefined) throw failed.reason;
  }
  return state;
}

async function fetchUnlessMissing(
  deps: ReconcilerDeps,
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

/** Never adopt: an object of the same name that this service does not control stays untouched. */
function assertOwned(service: CallbackService, child: ChildObject, current: KubeObject): void {
  const controller = current.metadata.ownerReferences?.find((ref) => ref.controller === true);
  if (controller?.uid === service.metadata.uid) return;
  const owner =
    controller === undefined
      ? "is not owned by any controller"
      : `is controlled by ${controller.kind} ${controller.name}`;
  throw new StalledError(
    "ChildConflict",
    `${child.kind} ${child.metadata.namespace}/${child.metadata.name} already exists and ${owner}; the operator does not adopt it. Delete or rename it, or rename the CallbackService`,
  );
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
  const labels = current.metadata.labels ?? {};
  const stale = Object.keys(labels).some(
    (key) =>
      key.startsWith(groupLabelPrefix) &&
      previousGroups.has(key) &&
      !(key in child.metadata.labels),
  );
  if (stale) return false;
  if (child.kind === "ConfigMap") {
    const data = (current["data"] ?? {}) as Record<string, string>;
    return Object.keys(data).length === Object.keys(child["data"] as Record<string, string>).length;
  }
  return true;
}

/** 4xx answers other than conflicts and throttling will not change on retry: they need a person. */
function asStalledIfInvalid(error: unknown, child: ChildObject): unknown {
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

/** A service that switched between Ingress and HTTPRoute leaves the other kind behind: delete it. */
async function deleteOtherRoute(
  deps: ReconcilerDeps,
  service: CallbackService,
  keep: "Ingress" | "HTTPRoute",
): Promise<void> {
  const other = keep === "Ingress" ? "HTTPRoute" : "Ingress";
  const { namespace, name, uid } = service.metadata;
  const existing = deps.children.get(other)?.get(`${namespace ?? ""}/${name}`);
  if (
    existing?.metadata.ownerReferences?.some(
      (ref) => ref.controller === true && ref.uid === uid,
    ) !== true
  )
    return;
  try {
    await deps.client.delete(objectPath(other, namespace, name));
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}
