// What one reconcile of a CallbackService came to, and the one place a step's error becomes it.
// Each step of the script (service-reconciler.ts) either returns or throws: a StalledError when
// only a person can help, a WaitingError while the cluster has not caught up, anything else when a
// retry may help. The reasons are condition reasons; conditionReasonDocs (src/api/conditions.ts)
// documents each, and the CRD reference shows them.
import type { ConditionReason } from "../api/conditions.ts";
import type { Health } from "./child-health.ts";

/** The steps of a service reconcile, in the order they run. */
export const stepNames = [
  "LabelService",
  "ResolveTemplate",
  "ResolveOptions",
  "ResolveRoute",
  "CheckOwnership",
  "ApplyChildren",
  "Prune",
  "ObserveHealth",
] as const;

export type StepName = (typeof stepNames)[number];

/** Why a service is Stalled, with the step that finds it. */
export const stalledReasons = {
  TemplateNotFound: "ResolveTemplate",
  InvalidTemplate: "ResolveTemplate",
  UnknownScenario: "ResolveTemplate",
  InvalidOptions: "ResolveOptions",
  RouteNotAccepted: "ResolveRoute",
  ChildConflict: "CheckOwnership",
  ApplyFailed: "ApplyChildren",
} as const satisfies Partial<Record<ConditionReason, StepName>>;

export type StalledReason = keyof typeof stalledReasons;

/** Why a service waits (Reconciling), with the step that finds it. */
export const waitingReasons = {
  DeploymentUnavailable: "ObserveHealth",
  RouteNotAccepted: "ObserveHealth",
} as const satisfies Partial<Record<ConditionReason, StepName>>;

export type WaitingReason = keyof typeof waitingReasons;

/** The service cannot progress until a person changes something; retrying will not help. */
export class StalledError extends Error {
  override readonly name = "StalledError";
  readonly reason: StalledReason;
  constructor(reason: StalledReason, message: string) {
    super(message);
    this.reason = reason;
  }
}

/** Everything is applied; the cluster has not caught up yet (a rollout, a Gateway's verdict). */
export class WaitingError extends Error {
  override readonly name = "WaitingError";
  readonly reason: WaitingReason;
  readonly deployment: Health;
  readonly route: Health;
  constructor(reason: WaitingReason, health: { deployment: Health; route: Health }) {
    super(reason === "DeploymentUnavailable" ? health.deployment.message : health.route.message);
    this.reason = reason;
    this.deployment = health.deployment;
    this.route = health.route;
  }
}

export type Outcome =
  | { readonly kind: "ready"; readonly deployment: Health; readonly route: Health }
  | {
      readonly kind: "waiting";
      readonly step: StepName;
      readonly reason: WaitingReason;
      readonly message: string;
      readonly deployment: Health;
      readonly route: Health;
    }
  | {
      readonly kind: "stalled";
      readonly step: StepName;
      readonly reason: StalledReason;
      readonly message: string;
    }
  | { readonly kind: "failed"; readonly step: StepName; readonly message: string };

/** The outcome of an error thrown by `step`: Stalled, Waiting, or failed (retried with backoff). */
export function outcomeOf(error: unknown, step: StepName): Outcome {
  if (error instanceof StalledError) {
    return { kind: "stalled", step, reason: error.reason, message: error.message };
  }
  if (error instanceof WaitingError) {
    const { reason, message, deployment, route } = error;
    return { kind: "waiting", step, reason, message, deployment, route };
  }
  return { kind: "failed", step, message: error instanceof Error ? error.message : String(error) };
}
