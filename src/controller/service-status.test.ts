import { describe, expect, it } from "vitest";
import type { Condition } from "../api/conditions.ts";
import type { Outcome } from "./outcome.ts";
import { computeConditions, detailsByStep } from "./service-status.ts";
import { stepNames } from "./outcome.ts";

const healthy = { ok: true, message: "1 of 1 replicas available" };
const unavailable = { ok: false, message: "0 of 1 replicas available" };
const accepted = { ok: true, message: "The Ingress exists" };
const now = Date.parse("2026-11-25T12:00:00Z");

/** Each row: an outcome, then status/reason of every condition ("-" when absent), in order. */
const rows: [string, Outcome, string][] = [
  [
    "ready",
    { kind: "ready", deployment: healthy, route: accepted },
    "Ready=True Reconciling=- Stalled=- TemplateResolved=True OptionsValid=True ConfigApplied=True DeploymentAvailable=True RouteAccepted=True",
  ],
  [
    "waiting for the Deployment",
    {
      kind: "waiting",
      step: "ObserveHealth",
      reason: "DeploymentUnavailable",
      message: unavailable.message,
      deployment: unavailable,
      route: accepted,
    },
    "Ready=False/DeploymentUnavailable Reconciling=True/Progressing Stalled=- TemplateResolved=True OptionsValid=True ConfigApplied=True DeploymentAvailable=False/DeploymentUnavailable RouteAccepted=True",
  ],
  [
    "stalled on the template",
    { kind: "stalled", step: "ResolveTemplate", reason: "TemplateNotFound", message: "m" },
    "Ready=False/TemplateNotFound Reconciling=- Stalled=True/TemplateNotFound TemplateResolved=False/TemplateNotFound OptionsValid=Unknown/Progressing ConfigApplied=Unknown/Progressing DeploymentAvailable=Unknown/Progressing RouteAccepted=Unknown/Progressing",
  ],
  [
    "stalled on the options",
    { kind: "stalled", step: "ResolveOptions", reason: "InvalidOptions", message: "m" },
    "Ready=False/InvalidOptions Reconciling=- Stalled=True/InvalidOptions TemplateResolved=True OptionsValid=False/InvalidOptions ConfigApplied=Unknown/Progressing DeploymentAvailable=Unknown/Progressing RouteAccepted=Unknown/Progressing",
  ],
  [
    "stalled on the route",
    { kind: "stalled", step: "ResolveRoute", reason: "RouteNotAccepted", message: "m" },
    "Ready=False/RouteNotAccepted Reconciling=- Stalled=True/RouteNotAccepted TemplateResolved=True OptionsValid=True ConfigApplied=Unknown/Progressing DeploymentAvailable=Unknown/Progressing RouteAccepted=False/RouteNotAccepted",
  ],
  [
    "stalled on a child conflict",
    { kind: "stalled", step: "CheckOwnership", reason: "ChildConflict", message: "m" },
    "Ready=False/ChildConflict Reconciling=- Stalled=True/ChildConflict TemplateResolved=True OptionsValid=True ConfigApplied=False/ChildConflict DeploymentAvailable=Unknown/Progressing RouteAccepted=Unknown/Progressing",
  ],
  [
    "failed applying, retried",
    { kind: "failed", step: "ApplyChildren", message: "etcd is away" },
    "Ready=False/ReconciliationFailed Reconciling=True/ReconciliationFailed Stalled=- TemplateResolved=True OptionsValid=True ConfigApplied=False/ReconciliationFailed DeploymentAvailable=Unknown/Progressing RouteAccepted=Unknown/Progressing",
  ],
  [
    "failed labelling, retried",
    { kind: "failed", step: "LabelService", message: "busy" },
    "Ready=False/ReconciliationFailed Reconciling=True/ReconciliationFailed Stalled=- TemplateResolved=Unknown/Progressing OptionsValid=Unknown/Progressing ConfigApplied=False/ReconciliationFailed DeploymentAvailable=Unknown/Progressing RouteAccepted=Unknown/Progressing",
  ],
];

const order = [
  "Ready",
  "Reconciling",
  "Stalled",
  "TemplateResolved",
  "OptionsValid",
  "ConfigApplied",
  "DeploymentAvailable",
  "RouteAccepted",
];

function summarise(conditions: readonly Condition[]): string {
  return order
    .map((type) => {
      const c = conditions.find((x) => x.type === type);
      if (c === undefined) return `${type}=-`;
      const reason =
        c.status === "True" && c.reason === "ReconciliationSucceeded" ? "" : `/${c.reason}`;
      return `${type}=${c.status}${reason}`;
    })
    .join(" ");
}

describe("computeConditions", () => {
  it.each(rows)("%s", (_name, outcome, expected) => {
    const conditions = computeConditions(outcome, undefined, 4, now);
    expect(summarise(conditions)).toBe(expected);
    expect(conditions.map((c) => c.type)).toEqual(
      order.filter((t) => conditions.some((c) => c.type === t)),
    );
    for (const c of conditions) {
      expect(c).toMatchObject({
        observedGeneration: 4,
        lastTransitionTime: "2026-11-25T12:00:00Z",
      });
    }
  });

  it("keeps lastTransitionTime of a condition whose status did not change, and only then", () => {
    const before = computeConditions(rows[1]![1], undefined, 1, now);
    const after = computeConditions(rows[0]![1], before, 2, now + 60_000);
    const time = (type: string) => after.find((c) => c.type === type)?.lastTransitionTime;
    expect(time("TemplateResolved")).toBe("2026-11-25T12:00:00Z");
    expect(time("Ready")).toBe("2026-11-25T12:01:00Z");
    expect(time("DeploymentAvailable")).toBe("2026-11-25T12:01:00Z");
    expect(computeConditions(rows[0]![1], after, 2, now + 120_000)).toEqual(after);
  });

  it("has a row for every step, and marks only its own step's conditions failed", () => {
    expect(Object.keys(detailsByStep)).toEqual([...stepNames]);
    for (const step of stepNames) {
      const failed = Object.values(detailsByStep[step]).filter((mark) => mark === "failed");
      expect(failed.length, step).toBe(step === "ObserveHealth" ? 0 : 1);
    }
  });
});
