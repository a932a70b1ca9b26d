// Status conditions: the kstatus trio (Ready, Reconciling, Stalled) that kubectl wait, Flux, Helm 4
// and Argo CD read, detail conditions that say which step is not done, and their reasons. Reasons
// are stable identifiers for tools and event reasons; messages are for people.
import { z } from "zod";
import { limits } from "./limits.ts";

export const conditionTypes = [
  "Ready",
  "Reconciling",
  "Stalled",
  "TemplateResolved",
  "OptionsValid",
  "ConfigApplied",
  "DeploymentAvailable",
  "RouteAccepted",
] as const;

export type ConditionType = (typeof conditionTypes)[number];

/** What `status: "True"` means for each condition type, and when it is present. */
export const conditionTypeDocs: Readonly<Record<ConditionType, string>> = {
  Ready:
    "True when the latest generation is fully applied and the Callback API is available at status.url; always present once the controller has seen the object.",
  Reconciling:
    "True while the controller is working towards the latest generation (abnormal-true: absent or False when idle).",
  Stalled:
    "True when progress needs a change by a person, e.g. an unknown template or scenario, or invalid options; the reason and message say what to change (abnormal-true: absent when fine).",
  TemplateResolved:
    "True when spec.template names an existing ServiceTemplate that declares spec.scenario.",
  OptionsValid:
    "True when every effective option passes its template declaration (type, enum, mandatory).",
  ConfigApplied:
    "True when the ConfigMap holding the service.{name} section matches the effective options.",
  DeploymentAvailable:
    "True when the Callback API workload (a StatefulSet on the embedded database, a Deployment on PostgreSQL) is rolled out: every replica updated and available, so the current options are in force.",
  RouteAccepted: "True when the Ingress or HTTPRoute that exposes the service is admitted.",
};

export const conditionReasons = [
  "ReconciliationSucceeded",
  "ReconciliationFailed",
  "Progressing",
  "TemplateNotFound",
  "InvalidTemplate",
  "UnknownScenario",
  "InvalidOptions",
  "ChildConflict",
  "Suspended",
  "DeploymentUnavailable",
  "RouteNotAccepted",
  "ApplyFailed",
] as const;

export type ConditionReason = (typeof conditionReasons)[number];

export const conditionReasonDocs: Readonly<Record<ConditionReason, string>> = {
  ReconciliationSucceeded: "Everything the spec asks for is applied and available.",
  ReconciliationFailed: "An unexpected error stopped this attempt; it is retried with backoff.",
  Progressing: "Work towards the latest generation is under way.",
  TemplateNotFound: "spec.template names no ServiceTemplate.",
  InvalidTemplate: "The ServiceTemplate fails the operator's checks (its status says why).",
  UnknownScenario: "The template declares no scenario named spec.scenario.",
  InvalidOptions:
    "One or more effective options fail their declaration, or a mandatory option is removed; the message names each.",
  ChildConflict: "An object the service needs exists and is not owned by it.",
  Suspended: "spec.suspend is true; nothing is changed until it is false.",
  DeploymentUnavailable:
    "The Callback API workload is not rolled out yet: replicas still to update or not yet available (the message says which).",
  RouteNotAccepted: "The Ingress or HTTPRoute is not admitted by its controller or Gateway.",
  ApplyFailed: "The apiserver refused an object the service needs; the message says why.",
};

export const conditionStatuses = ["True", "False", "Unknown"] as const;

export type ConditionStatus = (typeof conditionStatuses)[number];

/** metav1.Condition. Types and reasons are open strings in the schema, so tools may add their own. */
export const conditionSchema = z.object({
  type: z
    .string()
    .min(1)
    .max(limits.conditionType)
    .describe("Type of the condition, e.g. Ready, Reconciling, Stalled."),
  status: z.enum(conditionStatuses).describe("Status of the condition: True, False or Unknown."),
  observedGeneration: z
    .int()
    .min(0)
    .optional()
    .meta({ format: "int64" })
    .describe("metadata.generation the condition was set for."),
  lastTransitionTime: z
    .string()
    .max(limits.timestamp)
    .meta({ format: "date-time" })
    .describe("When the status last changed (RFC 3339)."),
  reason: z
    .string()
    .min(1)
    .max(limits.conditionReason)
    .describe("A CamelCase identifier of why the condition has its status, for tools."),
  message: z
    .string()
    .max(limits.conditionMessage)
    .optional()
    .describe("What happened, for people; may be empty."),
});

export type Condition = z.output<typeof conditionSchema>;

/** `status.conditions`: a list-map keyed by type, so server-side apply merges one condition at a time. */
export const conditionsSchema = z
  .array(conditionSchema)
  .max(limits.conditions)
  .meta({ "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"] })
  .describe(
    "Conditions in the kstatus convention: Ready, Reconciling and Stalled, plus detail conditions.",
  );
