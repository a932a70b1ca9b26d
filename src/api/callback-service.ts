// CallbackService: one GMS callback service (the `service.{name}` section of a GMS application),
// run by the operator as a Callback API Deployment behind an Ingress or HTTPRoute.
import { z } from "zod";
import { stringMap } from "./bounded-map.ts";
import { celMessage, celString, type CelRule, withCel } from "./cel.ts";
import { conditionsSchema } from "./conditions.ts";
import type { CrdSource } from "./crd.ts";
import { apiVersion, builtinTemplateName, kinds } from "./group.ts";
import { dns1035LabelPattern, objectName } from "./kubernetes-names.ts";
import { limits } from "./limits.ts";
import { objectMetaSchema } from "./object-meta.ts";
import { optionNameKeysRule, optionNameProblem, optionNameRule } from "./option-names.ts";
import { routeSpecSchema } from "./route.ts";
import {
  parseServiceGroups,
  serviceGroupsCelRules,
  serviceGroupsOption,
} from "./service-groups.ts";
import { apiSpecSchema } from "./workload.ts";

export const callbackServiceMessages = {
  password:
    "spec.options.password: the Basic-auth password must not be an option, since options are stored in a ConfigMap; put it in a Secret and reference it with spec.api.passwordSecretRef",
  usernameWithoutPassword:
    "spec.options.username and spec.api.passwordSecretRef go together: set both to require GMS Basic authentication, or neither",
  removedAndSet: (name: string): string =>
    `spec.removedOptions: option "${name}" is also set in spec.options; keep it in one of them`,
  invalidName: (name: string): string =>
    `metadata.name: "${name}" cannot name a callback service: use at most 63 lowercase letters, digits and '-', starting with a letter and ending with a letter or digit (it is the {callback-execution-name} in /genesys/1/service/callback/{name} and names the service's Kubernetes Service)`,
} as const;

const optionsRules: readonly CelRule[] = [
  optionNameKeysRule("spec.options"),
  ...serviceGroupsCelRules(),
  {
    rule: "!('password' in self)",
    message: callbackServiceMessages.password,
    messageExpression: celMessage(() => callbackServiceMessages.password),
  },
];

/** `spec.options`: GMS option name → value, layered over the template's defaults and scenario. */
export const serviceOptionsSchema = withCel(
  stringMap(limits.serviceOptions, limits.optionValue),
  optionsRules,
)
  .superRefine((options, ctx) => {
    for (const [name, value] of Object.entries(options)) {
      const problem =
        optionNameProblem("spec.options", name) ??
        (name === serviceGroupsOption ? parseServiceGroups(value).error : undefined) ??
        (name === "password" ? callbackServiceMessages.password : undefined);
      if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem, path: [name] });
    }
  })
  .describe(
    `Options of the GMS service section, option name → value, e.g. _target: "Billing@StatServer.GA" or ${serviceGroupsOption}: "support, blackfriday". The effective options are the template's defaults, overlaid by the values of spec.scenario, overlaid by these, minus spec.removedOptions; the operator checks them against the template's declarations (type, enum, mandatory) and reports problems in the OptionsValid and Stalled conditions. ${serviceGroupsOption} is a comma-separated list of virtual service groups; each becomes the label group.callback-operator.io/<group>: "true". Names: letters, digits, '-', '_' or '.'; values: at most ${limits.optionValue} characters. The Basic-auth password goes in spec.api.passwordSecretRef, never here.`,
  );

export const callbackServiceSpecSchema = withCel(
  z.object({
    template: objectName()
      .default(builtinTemplateName)
      .describe(
        `Name of the ServiceTemplate (cluster-scoped) the service is created from; the built-in "${builtinTemplateName}" template by default.`,
      ),
    scenario: z
      .string()
      .min(1)
      .max(limits.scenarioName)
      .describe(
        "The Common Default Configuration to start from: the name of one of the template's scenarios, e.g. User-Terminated-Delayed, User-Originated-Immediate or User-Terminated-Scheduled. Its preset values override the template's defaults; spec.options overrides both.",
      ),
    options: serviceOptionsSchema.optional(),
    removedOptions: z
      .array(withCel(z.string().max(limits.optionName), [optionNameRule("spec.removedOptions")]))
      .max(limits.removedOptions)
      .optional()
      .meta({ "x-kubernetes-list-type": "set" })
      .describe(
        "Optional template options deleted from the service section, so they are not specified (a request may then supply them). Mandatory options cannot be removed; the operator reports it as InvalidOptions.",
      ),
    suspend: z
      .boolean()
      .default(false)
      .describe(
        "Stop reconciling this service: its objects stay as they are until suspend is false again. Deleting the service still deletes them.",
      ),
    api: apiSpecSchema.optional(),
    route: routeSpecSchema.optional(),
  }),
  [
    {
      rule:
        "(has(self.options) && 'username' in self.options) == " +
        "(has(self.api) && has(self.api.passwordSecretRef))",
      message: callbackServiceMessages.usernameWithoutPassword,
      messageExpression: celMessage(() => callbackServiceMessages.usernameWithoutPassword),
    },
    {
      rule:
        "!has(self.removedOptions) || !has(self.options) || " +
        "self.removedOptions.all(n, !(n in self.options))",
      message: callbackServiceMessages.removedAndSet("the option"),
      messageExpression: celMessage(
        (name) => callbackServiceMessages.removedAndSet(name),
        "self.removedOptions.filter(n, n in self.options)[0]",
      ),
    },
  ],
).describe(
  "The service: which template and scenario it starts from, its GMS options, and how its Callback API runs and is exposed.",
);

export const callbackServiceStatusSchema = z
  .object({
    observedGeneration: z
      .int()
      .min(0)
      .optional()
      .meta({ format: "int64" })
      .describe("The metadata.generation the status describes."),
    conditions: conditionsSchema.optional(),
    url: z
      .string()
      .max(limits.url)
      .optional()
      .describe(
        "Where the service's Callback API is served, e.g. https://callbacks.example.com/genesys/1/service/callback/callback-support.",
      ),
    serviceGroups: z
      .array(z.string().max(limits.groupName))
      .max(limits.serviceGroups)
      .optional()
      .meta({ "x-kubernetes-list-type": "atomic" })
      .describe(
        `The groups parsed from the effective ${serviceGroupsOption} option, in order; each is also a label group.callback-operator.io/<group>.`,
      ),
    templateRevision: z
      .string()
      .max(limits.hash)
      .optional()
      .describe("status.revision of the ServiceTemplate the effective options were built from."),
    configHash: z
      .string()
      .max(limits.hash)
      .optional()
      .describe(
        "Hash of the effective options; it changes exactly when the service's ConfigMap does.",
      ),
    warnings: z
      .array(z.string().max(limits.warning))
      .max(limits.warnings)
      .optional()
      .meta({ "x-kubernetes-list-type": "atomic" })
      .describe(
        "Things that work but are probably unintended, e.g. a request parameter configured in the service (its value overrides every request's).",
      ),
    lastHandledReconcileAt: z
      .string()
      .max(limits.timestamp)
      .optional()
      .describe(
        "The last value of the callback-operator.io/requested-at annotation the controller acted on.",
      ),
  })
  .describe("What the operator observed and did; written by the operator only.");

export const callbackServiceSchema = z.object({
  apiVersion: z.literal(apiVersion),
  kind: z.literal(kinds.callbackService.kind),
  metadata: objectMetaSchema,
  spec: callbackServiceSpecSchema,
  status: callbackServiceStatusSchema.optional(),
});

/** A CallbackService as the apiserver stores it (defaults filled in). */
export type CallbackService = z.output<typeof callbackServiceSchema>;
export type CallbackServiceSpec = z.output<typeof callbackServiceSpecSchema>;
export type CallbackServiceStatus = z.output<typeof callbackServiceStatusSchema>;

const nameRule: CelRule = {
  rule: `self.metadata.name.matches(${celString(dns1035LabelPattern)})`,
  fieldPath: ".metadata.name",
  message: callbackServiceMessages.invalidName("the name"),
  messageExpression: celMessage(
    (name) => callbackServiceMessages.invalidName(name),
    "self.metadata.name",
  ),
};

const readyCondition = '.status.conditions[?(@.type=="Ready")]';

export const callbackServiceCrd: CrdSource = {
  names: kinds.callbackService,
  scope: "Namespaced",
  description:
    "CallbackService is one GMS callback service: the service.{name} section of a GMS application, created from a ServiceTemplate and one of its scenarios (Common Default Configurations). The operator runs it as a Callback API Deployment served at /genesys/1/service/callback/{metadata.name}.",
  spec: callbackServiceSpecSchema,
  status: callbackServiceStatusSchema,
  rootRules: [nameRule],
  maxNameLength: 63,
  printerColumns: [
    { name: "Template", type: "string", jsonPath: ".spec.template" },
    { name: "Scenario", type: "string", jsonPath: ".spec.scenario" },
    { name: "Groups", type: "string", jsonPath: `.spec.options.${serviceGroupsOption}` },
    { name: "URL", type: "string", jsonPath: ".status.url" },
    { name: "Ready", type: "string", jsonPath: `${readyCondition}.status` },
    { name: "Status", type: "string", jsonPath: `${readyCondition}.message`, priority: 1 },
    { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
  ],
};
