// The status conditions of a CallbackService, computed from what one reconcile came to. kstatus
// reads Ready, Reconciling and Stalled; the detail conditions say which part is not done, from one
// table of detail condition × the step where the reconcile stopped.
import type { CallbackServiceStatus } from "../api/callback-service.ts";
import type { Condition, ConditionType } from "../api/conditions.ts";
import { kubeTime } from "../runtime/clock.ts";
import { stalledSummary, toConditions, type Draft } from "./conditions.ts";
import type { Outcome, StepName } from "./outcome.ts";

type DetailType = Extract<
  ConditionType,
  "TemplateResolved" | "OptionsValid" | "ConfigApplied" | "DeploymentAvailable" | "RouteAccepted"
>;

/**
 * ok: a step before the stop proved it; failed: the step that stopped says why; unknown: not
 * evaluated; observed: read from the child's health.
 */
type Mark = "ok" | "failed" | "unknown" | "observed";

const U = "unknown";
/** Detail conditions by the step where the reconcile stopped; ObserveHealth is also "all done". */
export const detailsByStep: Readonly<Record<StepName, Readonly<Record<DetailType, Mark>>>> = {
  // prettier-ignore
  LabelService: { TemplateResolved: U, OptionsValid: U, ConfigApplied: "failed", DeploymentAvailable: U, RouteAccepted: U },
  // prettier-ignore
  ResolveTemplate: { TemplateResolved: "failed", OptionsValid: U, ConfigApplied: U, DeploymentAvailable: U, RouteAccepted: U },
  // prettier-ignore
  ResolveOptions: { TemplateResolved: "ok", OptionsValid: "failed", ConfigApplied: U, DeploymentAvailable: U, RouteAccepted: U },
  // prettier-ignore
  ResolveRoute: { TemplateResolved: "ok", OptionsValid: "ok", ConfigApplied: U, DeploymentAvailable: U, RouteAccepted: "failed" },
  // prettier-ignore
  CheckOwnership: { TemplateResolved: "ok", OptionsValid: "ok", ConfigApplied: "failed", DeploymentAvailable: U, RouteAccepted: U },
  // prettier-ignore
  ApplyChildren: { TemplateResolved: "ok", OptionsValid: "ok", ConfigApplied: "failed", DeploymentAvailable: U, RouteAccepted: U },
  // prettier-ignore
  Prune: { TemplateResolved: "ok", OptionsValid: "ok", ConfigApplied: "failed", DeploymentAvailable: U, RouteAccepted: U },
  // prettier-ignore
  ObserveHealth: { TemplateResolved: "ok", OptionsValid: "ok", ConfigApplied: "ok", DeploymentAvailable: "observed", RouteAccepted: "observed" },
};

/** What each detail condition says when a step before the stop proved it. */
const okMessages: Readonly<Record<DetailType, string>> = {
  TemplateResolved: "The template and scenario exist",
  OptionsValid: "Every effective option fits its declaration",
  ConfigApplied: "The service section matches the effective options",
  DeploymentAvailable: "The Deployment is available",
  RouteAccepted: "The route is accepted",
};

function details(outcome: Outcome): Draft[] {
  const row = detailsByStep[outcome.kind === "ready" ? "ObserveHealth" : outcome.step];
  return (Object.keys(row) as DetailType[]).map((type): Draft => {
    const mark = row[type];
    if (mark === "ok") {
      return { type, status: "True", reason: "ReconciliationSucceeded", message: okMessages[type] };
    }
    if (mark === "observed") return observed(type, outcome);
    if (mark === "failed" && outcome.kind !== "ready") {
      const reason = outcome.kind === "failed" ? "ReconciliationFailed" : outcome.reason;
      return { type, status: "False", reason, message: outcome.message };
    }
    const message = "Not evaluated until the earlier steps succeed";
    return { type, status: "Unknown", reason: "Progressing", message };
  });
}

function observed(type: DetailType, outcome: Outcome): Draft {
  if (outcome.kind !== "ready" && outcome.kind !== "waiting") {
    return { type, status: "Unknown", reason: "Progressing", message: "Not observed" };
  }
  const deployment = type === "DeploymentAvailable";
  const health = deployment ? outcome.deployment : outcome.route;
  if (health.ok) {
    return { type, status: "True", reason: "ReconciliationSucceeded", message: health.message };
  }
  const reason = deployment ? "DeploymentUnavailable" : "RouteNotAccepted";
  return { type, status: "False", reason, message: health.message };
}

function summary(outcome: Outcome): Draft[] {
  switch (outcome.kind) {
    case "stalled":
      return stalledSummary(outcome.reason, outcome.message);
    case "failed":
      return [
        {
          type: "Ready",
          status: "False",
          reason: "ReconciliationFailed",
          message: outcome.message,
        },
        {
          type: "Reconciling",
          status: "True",
          reason: "ReconciliationFailed",
          message: `Retrying: ${outcome.message}`,
        },
      ];
    case "waiting":
      return [
        { type: "Ready", status: "False", reason: outcome.reason, message: outcome.message },
        { type: "Reconciling", status: "True", reason: "Progressing", message: outcome.message },
      ];
    case "ready":
      return [
        {
          type: "Ready",
          status: "True",
          reason: "ReconciliationSucceeded",
          message: "The Callback API is available at status.url",
        },
      ];
  }
}

/** The full condition list for this outcome (`now`: wall time in ms). */
export function computeConditions(
  outcome: Outcome,
  previous: readonly Condition[] | undefined,
  generation: number,
  now: number,
): Condition[] {
  return toConditions([...summary(outcome), ...details(outcome)], previous, generation, now);
}

/**
 * Suspended: Ready keeps its status and says why nothing changes; Reconciling and Stalled go,
 * since the operator is neither working nor stuck; the detail conditions stay as last observed.
 */
export function suspendedConditions(
  status: CallbackServiceStatus,
  now: number,
): CallbackServiceStatus["conditions"] {
  const message =
    "Reconciliation is suspended (spec.suspend is true); the children are left as they are";
  const kept = (status.conditions ?? []).filter(
    (c) => c.type !== "Reconciling" && c.type !== "Stalled",
  );
  const ready = kept.find((c) => c.type === "Ready");
  const suspendedReady = {
    type: "Ready",
    status: ready?.status ?? "Unknown",
    reason: "Suspended",
    message,
    lastTransitionTime: ready?.lastTransitionTime ?? kubeTime(now),
  } as const;
  return [suspendedReady, ...kept.filter((c) => c.type !== "Ready")];
}
