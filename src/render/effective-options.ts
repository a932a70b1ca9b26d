// Effective options of a service: what its service.{name} section holds, as GMS builds it.
import type { CallbackServiceSpec } from "../api/callback-service.ts";
import { gmsOptionAliases } from "../api/gms-options.ts";
import { checkOptionValue } from "../api/option-types.ts";
import {
  optionDeclarations,
  type ServiceTemplateSpec,
  type TemplateOption,
} from "../api/service-template.ts";

export interface EffectiveOptions {
  /** Option name → value, sorted by name: the ConfigMap's data. */
  readonly options: Readonly<Record<string, string>>;
  /** Problems that stop the service (Stalled, InvalidOptions), one per bad option. */
  readonly errors: readonly string[];
  /** Things that work but are probably unintended. */
  readonly warnings: readonly string[];
}

/**
 * template defaults ⊕ scenario values ⊕ spec.options, minus spec.removedOptions. A request
 * parameter nobody sets stays out of the section ("not specified"), so each request's value
 * applies. The scenario must exist: resolve it first (see render.ts).
 */
export function effectiveOptions(
  spec: Pick<CallbackServiceSpec, "options" | "removedOptions">,
  template: ServiceTemplateSpec,
  scenarioValues: Readonly<Record<string, string>>,
): EffectiveOptions {
  const declared = optionDeclarations(template.options);
  const defaults = template.options.flatMap((option) =>
    option.default === undefined ? [] : [[option.name, option.default] as const],
  );
  const merged = { ...Object.fromEntries(defaults), ...scenarioValues, ...spec.options };
  const report = { errors: [] as string[], warnings: [] as string[] };
  const options = removeOptions(merged, spec.removedOptions ?? [], declared, report);
  checkValues(options, template.options, declared, report);
  for (const name of Object.keys(spec.options ?? {})) {
    if (declared(name)?.request === true) report.warnings.push(requestParameterWarning(name));
  }
  const { errors, warnings } = report;
  const sorted = Object.fromEntries(Object.entries(options).sort(([a], [b]) => (a < b ? -1 : 1)));
  return { options: sorted, errors, warnings };
}

type Declared = ReturnType<typeof optionDeclarations>;

/** Mandatory options must have a value; every declared value must fit its declaration. */
function checkValues(
  options: Readonly<Record<string, string>>,
  declarations: readonly TemplateOption[],
  declared: Declared,
  report: { errors: string[]; warnings: string[] },
): void {
  // GMS locks mandatory options against removal and emptying; one the template leaves without a
  // default (e.g. _route_point, which only user-terminated scenarios dial from) may stay unset.
  for (const option of declarations) {
    if (!option.mandatory || option.request) continue;
    const value = options[option.name];
    if (value === "") report.errors.push(mandatoryMessage(option, false));
    if (value === undefined) report.warnings.push(mandatoryMessage(option, true));
  }
  for (const [name, value] of Object.entries(options)) {
    const option = declared(name);
    const alias = gmsOptionAliases.get(name);
    const current = alias === undefined ? undefined : declared(alias);
    if (option === undefined && current !== undefined) {
      const problem = aliasProblem(name, value, current, options);
      if (problem !== undefined) report.warnings.push(problem);
    } else if (option === undefined) {
      report.warnings.push(
        `option ${name} is not declared by the template; it is passed to the service section unchecked`,
      );
    } else if (!(option.mandatory && value === "")) {
      const problem = checkOptionValue(option, value);
      if (problem !== undefined) report.errors.push(problem);
    }
  }
}

/**
 * A legacy name (gms-options.ts aliases) is the option it names: its value is checked against that
 * declaration. Problems are warnings, not errors: the Callback API ignores a legacy value it cannot
 * use (the current name when set, else the default applies), as it always has.
 */
function aliasProblem(
  alias: string,
  value: string,
  current: TemplateOption,
  options: Readonly<Record<string, string>>,
): string | undefined {
  if ((options[current.name] ?? "").trim() !== "") {
    return `option ${alias} is the legacy name of ${current.name}, which is set too and wins; set ${current.name} instead`;
  }
  const problem = checkOptionValue({ ...current, name: alias }, value);
  return problem === undefined
    ? undefined
    : `${problem} (${alias} is the legacy name of ${current.name}; the Callback API applies the default instead)`;
}

/** GMS deletes optional parameters on request, never mandatory ones. */
function removeOptions(
  merged: Readonly<Record<string, string>>,
  removed: readonly string[],
  declared: Declared,
  report: { errors: string[]; warnings: string[] },
): Record<string, string> {
  const dropped = new Set(removed);
  for (const name of removed) {
    const option = declared(name);
    if (option === undefined) {
      report.warnings.push(
        `spec.removedOptions: option ${name} is not declared by the template, so there is nothing to remove`,
      );
    } else if (option.mandatory) {
      report.errors.push(
        `spec.removedOptions: option ${name} is mandatory and cannot be removed; set a value in spec.options instead`,
      );
      dropped.delete(name);
    }
  }
  return Object.fromEntries(Object.entries(merged).filter(([name]) => !dropped.has(name)));
}

function requestParameterWarning(name: string): string {
  return `option ${name} is a request parameter: the configured value overrides the value of every request; remove it from spec.options to let requests set it`;
}

function mandatoryMessage(option: TemplateOption, missing: boolean): string {
  return missing
    ? `option ${option.name} is mandatory and has no value in the template or the scenario: set it in spec.options if the service uses it`
    : `option ${option.name} is mandatory and cannot be empty: set a value in spec.options`;
}
