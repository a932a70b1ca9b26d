// GMS option names become keys of the service's ConfigMap, so they must be valid ConfigMap keys.
// The TypeScript check and the CEL rules share the pattern and the messages.
import { celMessage, celString, type CelRule } from "./cel.ts";
import { limits } from "./limits.ts";

/** A ConfigMap key: letters, digits, `-`, `_` and `.`. GMS option names (`_target`) all qualify. */
export const optionNamePattern = "^[-._a-zA-Z0-9]+$";
const optionNameRegExp = new RegExp(optionNamePattern);

const allowed = `use 1 to ${limits.optionName} letters, digits, '-', '_' or '.' (option names become ConfigMap keys), e.g. _target`;

export const optionNameMessages = {
  empty: (field: string): string => `${field}: an option name is empty; ${allowed}`,
  invalid: (field: string, name: string): string =>
    `${field}: option name "${name}" is not valid: ${allowed}`,
} as const;

export function isValidOptionName(name: string): boolean {
  return name.length <= limits.optionName && optionNameRegExp.test(name);
}

/** Why `name` is not a valid option name, prefixed by `field`; undefined if it is valid. */
export function optionNameProblem(field: string, name: string): string | undefined {
  if (isValidOptionName(name)) return undefined;
  return name === "" ? optionNameMessages.empty(field) : optionNameMessages.invalid(field, name);
}

/** CEL that is true when the string expression `name` is a valid option name. */
export function celIsValidOptionName(name: string): string {
  return `(size(${name}) <= ${limits.optionName} && ${name}.matches(${celString(optionNamePattern)}))`;
}

/** CEL producing optionNameProblem(field, name) for the string expression `name` (assumed invalid). */
function celOptionNameProblem(field: string, name: string): string {
  return (
    `${name} == '' ? ${celMessage(() => optionNameMessages.empty(field))}` +
    ` : ${celMessage((n) => optionNameMessages.invalid(field, n), name)}`
  );
}

/** Rule for a map whose keys are option names (`self` is the map). */
export function optionNameKeysRule(field: string): CelRule {
  return {
    rule: `self.all(k, ${celIsValidOptionName("k")})`,
    message: `${field}: an option name is not valid; ${allowed}`,
    messageExpression: celOptionNameProblem(
      field,
      `self.filter(k, !${celIsValidOptionName("k")})[0]`,
    ),
  };
}

/** Rule for a string that is an option name (`self` is the string). */
export function optionNameRule(field: string): CelRule {
  return {
    rule: celIsValidOptionName("self"),
    message: `${field}: the option name is not valid; ${allowed}`,
    messageExpression: celOptionNameProblem(field, "self"),
  };
}
