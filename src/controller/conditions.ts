// The one builder of status conditions, for both reconcilers: drafts (type, status, reason,
// message) become conditions in kubectl's order, each message cut to the CRD's bound, and a
// condition whose status did not change keeps its lastTransitionTime, so an unchanged outcome
// yields an identical list and no status write.
import {
  conditionTypes,
  type Condition,
  type ConditionReason,
  type ConditionStatus,
  type ConditionType,
} from "../api/conditions.ts";
import { kubeTime } from "../runtime/clock.ts";
import { fitMessage } from "./status-limits.ts";

export interface Draft {
  readonly type: ConditionType;
  readonly status: ConditionStatus;
  readonly reason: ConditionReason;
  readonly message: string;
}

/** `now` is wall time in ms (it becomes lastTransitionTime). */
export function toConditions(
  drafts: readonly Draft[],
  previous: readonly Condition[] | undefined,
  generation: number,
  now: number,
): Condition[] {
  // conditionTypes lists them in the order kubectl shows them: the kstatus trio first.
  return conditionTypes.flatMap((type) => {
    const draft = drafts.find((d) => d.type === type);
    if (draft === undefined) return [];
    const before = previous?.find((c) => c.type === type);
    const lastTransitionTime =
      before !== undefined && before.status === draft.status
        ? before.lastTransitionTime
        : kubeTime(now);
    const message = fitMessage(draft.message);
    return [{ ...draft, message, observedGeneration: generation, lastTransitionTime }];
  });
}

/** kstatus for an object that needs a person: Ready False and Stalled True, same reason. */
export function stalledSummary(reason: ConditionReason, message: string): Draft[] {
  return [
    { type: "Ready", status: "False", reason, message },
    { type: "Stalled", status: "True", reason, message },
  ];
}
