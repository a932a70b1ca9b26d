// The status conditions of a CallbackService, computed from what one reconcile found. kstatus
// reads Ready, Reconciling and Stalled; the detail conditions say which step is not done.
import {
  conditionTypes,
  type Condition,
  type ConditionReason,
  type ConditionStatus,
  type ConditionType,
} from "../api/conditions.ts";
import type { Health } from "./child-health.ts";
import { fitMessage } from "./status-limits.ts";

export type Outcome =
  | { readonly kind: "stalled"; readonly reason: ConditionReason; readonly message: string }
  | { readonly kind: "failed"; readonly reason: ConditionReason; readonly message: string }
  | { readonly kind: "applied"; readonly deployment: Health; readonly route: Health };

interface Draft {
  readonly type: ConditionType;
  readonly status: ConditionStatus;
  readonly reason: ConditionReason;
  readonly message: string;
}

const templateReasons: readonly ConditionReason[] = [
  "TemplateNotFound",
  "UnknownScenario",
  "InvalidTemplate",
];

function details(outcome: Outcome): Draft[] {
  const ok = (type: ConditionType, message: string): Draft => ({
    type,
    status: "True",
    reason: "ReconciliationSucceeded",
    message,
  });
  const unknown = (type: ConditionType): Draft => ({
    type,
    status: "Unknown",
    reason: "Progressing",
    message: "Not evaluated until the earlier steps succeed",
  });
  if (outcome.kind === "applied") {
    return [
      ok("TemplateResolved", "The template and scenario exist"),
      ok("OptionsValid", "Every effective option fits its declaration"),
      ok("ConfigApplied", "The service section matches the effective options"),
      {
        type: "DeploymentAvailable",
        status: outcome.deployment.ok ? "True" : "False",
        reason: outcome.deployment.ok ? "ReconciliationSucceeded" : "DeploymentUnavailable",
        message: outcome.deployment.message,
      },
      {
        type: "RouteAccepted",
        status: outcome.route.ok ? "True" : "False",
        reason: outcome.route.ok ? "ReconciliationSucceeded" : "RouteNotAccepted",
        message: outcome.route.message,
      },
    ];
  }
  const failed = (type: ConditionType): Draft => ({
    type,
    status: "False",
    reason: outcome.reason,
    message: outcome.message,
  });
  if (templateReasons.includes(outcome.reason)) {
    return [
      failed("TemplateResolved"),
      unknown("OptionsValid"),
      unknown("ConfigApplied"),
      unknown("DeploymentAvailable"),
      unknown("RouteAccepted"),
    ];
  }
  if (outcome.reason === "InvalidOptions") {
    return [
      ok("TemplateResolved", "The template and scenario exist"),
      failed("OptionsValid"),
      unknown("ConfigApplied"),
      unknown("DeploymentAvailable"),
      unknown("RouteAccepted"),
    ];
  }
  if (outcome.reason === "RouteNotAccepted") {
    return [
      ok("TemplateResolved", "The template and scenario exist"),
      ok("OptionsValid", "Every effective option fits its declaration"),
      unknown("ConfigApplied"),
      unknown("DeploymentAvailable"),
      failed("RouteAccepted"),
    ];
  }
  return [
    ok("TemplateResolved", "The template and scenario exist"),
    ok("OptionsValid", "Every effective option fits its declaration"),
    failed("ConfigApplied"),
    unknown("DeploymentAvailable"),
    unknown("RouteAccepted"),
  ];
}

function summary(outcome: Outcome): Draft[] {
  if (outcome.kind === "stalled") {
    return [
      { type: "Ready", status: "False", reason: outcome.reason, message: outcome.message },
      { type: "Stalled", status: "True", reason: outcome.reason, message: outcome.message },
    ];
  }
  if (outcome.kind === "failed") {
    return [
      { type: "Ready", status: "False", reason: outcome.reason, message: outcome.message },
      {
        type: "Reconciling",
        status: "True",
        reason: "ReconciliationFailed",
        message: `Retrying: ${outcome.message}`,
      },
    ];
  }
  const waiting = [outcome.deployment, outcome.route].find((health) => !health.ok);
  if (waiting !== undefined) {
    const reason: ConditionReason = outcome.deployment.ok
      ? "RouteNotAccepted"
      : "DeploymentUnavailable";
    return [
      { type: "Ready", status: "False", reason, message: waiting.message },
      { type: "Reconciling", status: "True", reason: "Progressing", message: waiting.message },
    ];
  }
  return [
    {
      type: "Ready",
      status: "True",
      reason: "ReconciliationSucceeded",
      message: "The Callback API is available at status.url",
    },
  ];
}

/**
 * The full condition list for this outcome. A condition whose status did not change keeps its
 * lastTransitionTime, so an unchanged outcome yields an identical list and no status write.
 */
export function computeConditions(
  outcome: Outcome,
  previous: readonly Condition[] | undefined,
  generation: number,
  now: Date,
): Condition[] {
  const drafts = [...summary(outcome), ...details(outcome)];
  // conditionTypes lists them in the order kubectl shows them: the kstatus trio first.
  return conditionTypes.flatMap((type) => {
    const draft = drafts.find((d) => d.type === type);
    if (draft === undefined) return [];
    const before = previous?.find((c) => c.type === type);
    const lastTransitionTime =
      before !== undefined && before.status === draft.status
        ? before.lastTransitionTime
        : now.toISOString().replace(/\.\d{3}Z$/, "Z");
    const message = fitMessage(draft.message);
    return [{ ...draft, message, observedGeneration: generation, lastTransitionTime }];
  });
}
