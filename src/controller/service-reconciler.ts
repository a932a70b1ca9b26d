// Reconciles one CallbackService as a fixed script: two guards, then the steps of service-steps.ts
// in order, then one status write. Level-triggered: it reads the cache, never the event that woke
// it. docs/adr/0061-reconcile-as-a-fixed-script.md says why this shape.
import type { Logger } from "pino";
import type { CallbackService, CallbackServiceStatus } from "../api/callback-service.ts";
import { annotationKeys, apiVersion, kinds } from "../api/group.ts";
import type { ServiceTemplate } from "../api/service-template.ts";
import type { RenderConfig } from "../render/render-config.ts";
import { render, type RenderResult } from "../render/render.ts";
import { contentHash } from "../render/hash.ts";
import type { Clock } from "../runtime/clock.ts";
import type { EventRecorder } from "../runtime/event-recorder.ts";
import type { Cache } from "../runtime/informer.ts";
import type { KubeApi, KubeObject } from "../runtime/kube-client.ts";
import { linkedServiceWarnings } from "./linked-services.ts";
import { outcomeOf, stepNames, type Outcome } from "./outcome.ts";
import { objectPath, type ChildKind } from "./resources.ts";
import { computeConditions, suspendedConditions } from "./service-status.ts";
import { steps, type Run } from "./service-steps.ts";
import { fitWarnings, requestedAtEcho } from "./status-limits.ts";
import type { StatusHold } from "./status-hold.ts";

export interface ReconcilerDeps {
  readonly client: KubeApi;
  readonly services: Cache<CallbackService>;
  readonly templates: Cache<ServiceTemplate>;
  readonly children: ReadonlyMap<ChildKind, Cache<KubeObject>>;
  /** Every object of each child kind in the watched namespaces, names only (child-names.ts). */
  readonly childNames: ReadonlyMap<ChildKind, Cache<KubeObject>>;
  readonly config: RenderConfig;
  readonly fieldManager: string;
  readonly events: Pick<EventRecorder, "record">;
  readonly log: Logger;
  readonly clock: Clock;
  readonly statusHold: StatusHold;
}

/**
 * "stalled" when only a change by a person can help (a terminal error: no retry); "done"
 * otherwise (ready, or waiting for the cluster: a child's event wakes it again); a re-queue delay
 * when the status of a waiting service is held back (status-hold.ts).
 */
export type ReconcileResult = "done" | "stalled" | { readonly requeueAfterMs: number };

/**
 * Resolves what the reconcile came to (ReconcileResult); throws for a transient failure, after
 * writing it to the status, and the queue retries with backoff.
 */
export async function reconcileService(
  deps: ReconcilerDeps,
  key: string,
): Promise<ReconcileResult> {
  const service = deps.services.get(key);
  // Deleted: garbage collection removes the children through their owner references.
  if (service === undefined || service.metadata["deletionTimestamp"] !== undefined) {
    deps.statusHold.release(key);
    return "done";
  }
  // Suspended: nothing changes, but the status says the latest generation was seen.
  if (service.spec.suspend) {
    deps.statusHold.release(key);
    const status = service.status ?? {};
    const conditions = suspendedConditions(status, deps.clock.now());
    const generation = service.metadata.generation ?? 0;
    await writeStatus(deps, service, { ...status, observedGeneration: generation, conditions });
    return "done";
  }
  const plan = render(service, deps.templates.get(service.spec.template), deps.config);
  // Only a service that runs a Callback API reads the services it names.
  const linked =
    plan.ok && plan.facts.workloadKind !== undefined
      ? linkedServiceWarnings(service, plan.effectiveOptions, deps.services, deps.templates)
      : [];
  const run: Run = { deps, service, plan, current: [], applied: new Map(), warnings: linked };
  let outcome: Outcome | undefined;
  let failure: unknown;
  for (const name of stepNames) {
    try {
      await steps[name](run);
    } catch (error) {
      [outcome, failure] = [outcomeOf(error, name), error];
      break;
    }
  }
  outcome ??= { kind: "ready", ...(run.health ?? unreachable("ObserveHealth left no health")) };
  const generation = service.metadata.generation ?? 0;
  const observed = service.status?.observedGeneration;
  const now = deps.clock.monotonic();
  const holdMs = deps.statusHold.holdMs(key, generation, observed, outcome, now);
  if (holdMs !== undefined) return { requeueAfterMs: holdMs };
  await writeOutcome(run, outcome);
  if (outcome.kind === "failed") throw failure;
  return outcome.kind === "stalled" ? "stalled" : "done";
}

function unreachable(what: string): never {
  throw new Error(`unreachable: ${what}`);
}

/** What the plan tells about the service, whatever the outcome. */
function planStatus(plan: RenderResult): Partial<CallbackServiceStatus> {
  if (!plan.ok) return { serviceGroups: [...plan.serviceGroups], warnings: [...plan.warnings] };
  const { facts } = plan;
  return {
    ...(facts.url === undefined ? {} : { url: facts.url }),
    serviceGroups: [...facts.serviceGroups],
    templateRevision: facts.templateRevision,
    configHash: facts.configHash,
    warnings: [...facts.warnings],
  };
}

/** The one status write of a reconcile, and an event when Ready changed. */
async function writeOutcome(
  { deps, service, plan, warnings: found }: Run,
  outcome: Outcome,
): Promise<void> {
  const generation = service.metadata.generation ?? 0;
  const previous = service.status ?? {};
  const facts = planStatus(plan);
  const conditions = computeConditions(outcome, previous.conditions, generation, deps.clock.now());
  const requestedAt = requestedAtEcho(
    annotationKeys.requestedAt,
    service.metadata.annotations?.[annotationKeys.requestedAt],
  );
  const warnings = fitWarnings([
    ...(facts.warnings ?? []),
    ...found,
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
  const ready = next.conditions?.find((c) => c.type === "Ready");
  const was = previous.conditions?.find((c) => c.type === "Ready");
  if (ready === undefined || (was?.status === ready.status && was.reason === ready.reason)) return;
  if (outcome.kind === "stalled") {
    await deps.events.record(service, "Warning", outcome.reason, outcome.message);
  } else if (ready.status === "True") {
    await deps.events.record(
      service,
      "Normal",
      "ReconciliationSucceeded",
      next.url === undefined
        ? `The section service.${service.metadata.name} is applied`
        : `The Callback API is available at ${next.url}`,
    );
  } else if (outcome.kind === "failed") {
    await deps.events.record(service, "Warning", "ReconciliationFailed", outcome.message);
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
