// ServiceTemplate: a GMS service template (callback.zip): the options a service section may hold,
// how each is typed and classed, and the scenarios (Common Default Configurations) that preset them.
import { z } from "zod";
import { stringMap } from "./bounded-map.ts";
import { celMessage, type CelRule, withCel } from "./cel.ts";
import { conditionsSchema } from "./conditions.ts";
import type { CrdSource } from "./crd.ts";
import { apiVersion, builtinTemplateName, kinds } from "./group.ts";
import { limits } from "./limits.ts";
import { objectMetaSchema } from "./object-meta.ts";
import { optionNameKeysRule, optionNameProblem, optionNameRule } from "./option-names.ts";
import { checkOptionValue, optionTypeDescriptions, optionTypes } from "./option-types.ts";

export const serviceTemplateMessages = {
  enumWithoutValues: (name: string): string =>
    `spec.options: option "${name}" has type enum but no enum values; list the allowed values in enum`,
  enumWithOtherType: (name: string, type: string): string =>
    `spec.options: option "${name}" has enum values but type ${type}; enum applies only to type enum or list`,
  defaultNotInEnum: (name: string, value: string, allowed: string): string =>
    `spec.options: option "${name}": default "${value}" is not one of its enum values: ${allowed}`,
  defaultNotBoolean: (name: string, value: string): string =>
    `spec.options: option "${name}": default "${value}" is not a boolean; use true or false`,
  defaultNotInteger: (name: string, value: string): string =>
    `spec.options: option "${name}": default "${value}" is not an integer; use a whole number, e.g. 30`,
  requestWithDefault: (name: string): string =>
    `spec.options: option "${name}" is a request parameter and has a default; a configured value overrides the value of every request, so a request parameter has no default`,
  numberedWithDefault: (name: string): string =>
    `spec.options: option "${name}" is numbered (it declares ${name}<n>) and has a default; a family has no single value, so set each member in a scenario or a service instead`,
  numberedMandatory: (name: string): string =>
    `spec.options: option "${name}" is numbered (it declares ${name}<n>) and mandatory; no single member can be required, so make it optional`,
  undeclaredScenarioValue: (scenario: string, option: string): string =>
    `spec.scenarios: scenario "${scenario}" sets option "${option}", which spec.options does not declare; declare it or remove the value`,
} as const;

const m = serviceTemplateMessages;

const optionRules: readonly CelRule[] = [
  {
    rule: "!has(self.type) || self.type != 'enum' || (has(self.enum) && size(self.enum) > 0)",
    message: m.enumWithoutValues("(an enum option)"),
    messageExpression: celMessage((name) => m.enumWithoutValues(name), "self.name"),
  },
  {
    rule: "!has(self.enum) || (has(self.type) && self.type in ['enum', 'list'])",
    message: m.enumWithOtherType("(an option)", "other than enum or list"),
    messageExpression: celMessage(
      (name, type) => m.enumWithOtherType(name, type),
      "self.name",
      "has(self.type) ? self.type : 'string'",
    ),
  },
  {
    rule: "!has(self.default) || !has(self.enum) || !has(self.type) || self.type != 'enum' || self.default in self.enum",
    message: m.defaultNotInEnum("(an enum option)", "(its default)", "(its enum)"),
    messageExpression: celMessage(
      (name, value, allowed) => m.defaultNotInEnum(name, value, allowed),
      "self.name",
      "self.default",
      "self.enum.join(', ')",
    ),
  },
  {
    rule: "!has(self.default) || !has(self.type) || self.type != 'boolean' || self.default in ['true', 'false']",
    message: m.defaultNotBoolean("(a boolean option)", "(its default)"),
    messageExpression: celMessage(
      (name, value) => m.defaultNotBoolean(name, value),
      "self.name",
      "self.default",
    ),
  },
  {
    rule: "!has(self.default) || !has(self.type) || self.type != 'integer' || self.default.matches('^-?[0-9]{1,15}$')",
    message: m.defaultNotInteger("(an integer option)", "(its default)"),
    messageExpression: celMessage(
      (name, value) => m.defaultNotInteger(name, value),
      "self.name",
      "self.default",
    ),
  },
  {
    rule: "!has(self.numbered) || !self.numbered || !has(self.default)",
    message: m.numberedWithDefault("(a numbered option)"),
    messageExpression: celMessage((name) => m.numberedWithDefault(name), "self.name"),
  },
  {
    rule: "!has(self.numbered) || !self.numbered || !has(self.mandatory) || !self.mandatory",
    message: m.numberedMandatory("(a numbered option)"),
    messageExpression: celMessage((name) => m.numberedMandatory(name), "self.name"),
  },
  {
    rule: "!has(self.default) || !has(self.request) || !self.request",
    message: m.requestWithDefault("(a request parameter)"),
    messageExpression: celMessage((name) => m.requestWithDefault(name), "self.name"),
  },
];

export const templateOptionSchema = withCel(
  z.object({
    name: withCel(z.string().max(limits.optionName), [
      optionNameRule("spec.options.name"),
    ]).describe(
      "GMS option name, e.g. _call_direction; the key of the option in the service's ConfigMap.",
    ),
    type: z
      .enum(optionTypes)
      .default("string")
      .describe(
        `What values the option takes: ${optionTypes
          .map((type) => `${type} (${optionTypeDescriptions[type]})`)
          .join("; ")}.`,
      ),
    enum: z
      .array(z.string().max(limits.enumValue))
      .min(1)
      .max(limits.enumValues)
      .optional()
      .meta({ "x-kubernetes-list-type": "set" })
      .describe(
        "Allowed values of an enum option, or allowed entries of a list option. Required for type enum.",
      ),
    default: z
      .string()
      .max(limits.optionValue)
      .optional()
      .describe(
        "Value a new service gets unless its scenario or spec.options sets another. Omitted: the option is not specified until a service sets it.",
      ),
    mandatory: z
      .boolean()
      .default(false)
      .describe(
        "GMS mandatory parameter (lock icon): a service cannot remove it (spec.removedOptions) or set it to an empty value.",
      ),
    advanced: z
      .boolean()
      .default(false)
      .describe(
        "GMS advanced parameter: shown only with Advanced Parameters enabled in the GMS UI. Informational here.",
      ),
    request: z
      .boolean()
      .default(false)
      .describe(
        "GMS request parameter, normally sent in each REST request (e.g. _customer_number, _desired_time). A value configured in the service overrides the request's, so the operator warns when a service sets one.",
      ),
    numbered: z
      .boolean()
      .default(false)
      .describe(
        "Declares a family of options rather than one: name followed by a number (1, 2, …), as GMS numbers _bh_regular1, _bh_regular2 or _capacity_1 … _capacity_7. Each member is checked against this declaration. A numbered option has no default and is not mandatory.",
      ),
    category: z
      .string()
      .max(limits.shortText)
      .optional()
      .describe("GMS option category, e.g. General, Scheduled Call, URS Queueing."),
    description: z.string().max(limits.description).optional().describe("What the option does."),
  }),
  optionRules,
).describe("One option a service section may hold.");

export const scenarioSchema = z
  .object({
    name: z
      .string()
      .min(1)
      .max(limits.scenarioName)
      .describe("Name a CallbackService picks in spec.scenario, e.g. User-Terminated-Delayed."),
    description: z
      .string()
      .max(limits.description)
      .optional()
      .describe("What the scenario is for."),
    values: withCel(stringMap(limits.scenarioValues, limits.optionValue), [
      optionNameKeysRule("spec.scenarios.values"),
    ])
      .optional()
      .describe(
        "Option name → value this scenario presets over the template defaults. Every name must be declared in spec.options.",
      ),
  })
  .describe("One Common Default Configuration.");

// A scenario value is declared by an option of its name. A name ending in a digit may be a member
// of a numbered family (_bh_regular2): checking that per option costs more than the apiserver's CEL
// budget allows, so CEL lets such names pass and templateSpecProblems checks them (InvalidTemplate).
const undeclared = "!k.matches('[0-9]$') && !self.options.exists(o, o.name == k)";
const setsUndeclared = `has(s.values) && s.values.exists(k, ${undeclared})`;
// filter() over a list of objects loses the size bounds of their fields (the estimated cost of the
// message becomes unbounded), so the messages map to strings first and filter those.
const firstBad = (of: string): string =>
  `self.scenarios.map(s, (${setsUndeclared}) ? ${of} : '').filter(x, x != '')[0]`;

const specRules: readonly CelRule[] = [
  {
    rule: `self.scenarios.all(s, !has(s.values) || s.values.all(k, !(${undeclared})))`,
    message: m.undeclaredScenarioValue("(a scenario)", "(an undeclared option)"),
    messageExpression: celMessage(
      (scenario, option) => m.undeclaredScenarioValue(scenario, option),
      firstBad("s.name"),
      firstBad(`s.values.filter(k, ${undeclared})[0]`),
    ),
  },
];

/** Every problem of a template spec the operator checks, the CEL rules' and more (typed values). */
export function templateSpecProblems(spec: {
  readonly options: readonly z.output<typeof templateOptionSchema>[];
  readonly scenarios: readonly z.output<typeof scenarioSchema>[];
}): string[] {
  const problems: string[] = [];
  const declared = optionDeclarations(spec.options);
  spec.options.forEach((option, i) => {
    const field = `spec.options[${i}]`;
    const nameProblem = optionNameProblem(`${field}.name`, option.name);
    if (nameProblem !== undefined) problems.push(nameProblem);
    if (spec.options.findIndex((o) => o.name === option.name) !== i) {
      problems.push(`${field}.name: option "${option.name}" is declared more than once`);
    }
    if (option.type === "enum" && (option.enum ?? []).length === 0) {
      problems.push(m.enumWithoutValues(option.name));
    }
    if (option.enum !== undefined && option.type !== "enum" && option.type !== "list") {
      problems.push(m.enumWithOtherType(option.name, option.type));
    }
    if (option.request && option.default !== undefined) {
      problems.push(m.requestWithDefault(option.name));
    }
    if (option.numbered && option.default !== undefined) {
      problems.push(m.numberedWithDefault(option.name));
    }
    if (option.numbered && option.mandatory) problems.push(m.numberedMandatory(option.name));
    const defaultProblem =
      option.default === undefined ? undefined : checkOptionValue(option, option.default);
    if (defaultProblem !== undefined) problems.push(`${field}.default: ${defaultProblem}`);
  });
  spec.scenarios.forEach((scenario, i) => {
    const field = `spec.scenarios[${i}]`;
    if (spec.scenarios.findIndex((s) => s.name === scenario.name) !== i) {
      problems.push(`${field}.name: scenario "${scenario.name}" is declared more than once`);
    }
    for (const [name, value] of Object.entries(scenario.values ?? {})) {
      const option = declared(name);
      const problem =
        option === undefined
          ? m.undeclaredScenarioValue(scenario.name, name)
          : checkOptionValue(option, value);
      if (problem !== undefined) problems.push(`${field}.values: ${problem}`);
    }
  });
  return problems;
}

/**
 * The declaration of each option name, by its own name or as a member of a numbered family
 * (`_bh_regular3` by `_bh_regular` with numbered: true); the member gets its own name, so messages
 * name what the service set.
 */
export function optionDeclarations(
  options: readonly TemplateOption[],
): (name: string) => TemplateOption | undefined {
  const byName = new Map(options.map((option) => [option.name, option]));
  const families = new Map(
    options.filter((option) => option.numbered).map((option) => [option.name, option]),
  );
  return (name) => {
    const exact = byName.get(name);
    if (exact !== undefined && !exact.numbered) return exact;
    // Each split of the trailing digits: a family may itself end in a digit.
    const digits = /[0-9]+$/.exec(name)?.[0].length ?? 0;
    for (let end = name.length - digits; end < name.length; end++) {
      const family = families.get(name.slice(0, end));
      if (family !== undefined) return { ...family, name };
    }
    return undefined;
  };
}

export const serviceTemplateSpecSchema = withCel(
  z.object({
    serviceType: z
      .string()
      .min(1)
      .max(limits.shortText)
      .default("callback")
      .describe(
        "GMS service type of services made from this template; callback for callback services.",
      ),
    description: z
      .string()
      .max(limits.description)
      .optional()
      .describe("What the template is for."),
    options: z
      .array(templateOptionSchema)
      .min(1)
      .max(limits.templateOptions)
      .meta({ "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"] })
      .describe(
        "The options a service section may hold, one entry per option name, with type, default and GMS class (mandatory, advanced, request).",
      ),
    scenarios: z
      .array(scenarioSchema)
      .min(1)
      .max(limits.scenarios)
      .meta({ "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"] })
      .describe(
        "The Common Default Configurations a service starts from (CallbackService spec.scenario), one entry per name.",
      ),
  }),
  specRules,
)
  .superRefine((spec, ctx) => {
    for (const message of templateSpecProblems(spec)) ctx.addIssue({ code: "custom", message });
  })
  .describe("The options and scenarios of the template.");

export const serviceTemplateStatusSchema = z
  .object({
    observedGeneration: z
      .int()
      .min(0)
      .optional()
      .meta({ format: "int64" })
      .describe("The metadata.generation the status describes."),
    conditions: conditionsSchema.optional(),
    revision: z
      .string()
      .max(limits.hash)
      .optional()
      .describe(
        "Hash of spec.options and spec.scenarios; services record the revision they were built from in status.templateRevision.",
      ),
    serviceCount: z
      .int()
      .min(0)
      .optional()
      .meta({ format: "int32" })
      .describe("How many CallbackServices use this template."),
  })
  .describe("What the operator observed; written by the operator only.");

export const serviceTemplateSchema = z.object({
  apiVersion: z.literal(apiVersion),
  kind: z.literal(kinds.serviceTemplate.kind),
  metadata: objectMetaSchema,
  spec: serviceTemplateSpecSchema,
  status: serviceTemplateStatusSchema.optional(),
});

/** A ServiceTemplate as the apiserver stores it (defaults filled in). */
export type ServiceTemplate = z.output<typeof serviceTemplateSchema>;
export type ServiceTemplateSpec = z.output<typeof serviceTemplateSpecSchema>;
export type TemplateOption = z.output<typeof templateOptionSchema>;
/** A ServiceTemplate as a user writes it (defaults may be omitted). */
export type ServiceTemplateInput = z.input<typeof serviceTemplateSchema>;

const readyCondition = '.status.conditions[?(@.type=="Ready")]';

export const serviceTemplateCrd: CrdSource = {
  names: kinds.serviceTemplate,
  scope: "Cluster",
  description: `ServiceTemplate is a GMS service template (like callback.zip): the options a service section may hold and the scenarios (Common Default Configurations) a CallbackService starts from. The operator installs the built-in "${builtinTemplateName}" template.`,
  spec: serviceTemplateSpecSchema,
  status: serviceTemplateStatusSchema,
  rootRules: [],
  printerColumns: [
    { name: "Type", type: "string", jsonPath: ".spec.serviceType" },
    { name: "Revision", type: "string", jsonPath: ".status.revision" },
    { name: "Services", type: "integer", jsonPath: ".status.serviceCount" },
    { name: "Ready", type: "string", jsonPath: `${readyCondition}.status` },
    { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
  ],
};
