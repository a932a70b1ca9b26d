// `_service_groups` (GMS 8.5.207): the comma-separated virtual service groups a service belongs to.
// Each group becomes the label `group.callback-operator.io/<group>`, so a group must be a valid
// label name. parseServiceGroups (used by the controller) and the CEL rules of the CRD (used by the
// apiserver) implement the same rules with the same messages; test/integration/api-validation
// checks that they agree on a table of inputs.
import { celMessage, celString, type CelRule } from "./cel.ts";
import { limits } from "./limits.ts";

export const serviceGroupsOption = "_service_groups";

/** The field the CEL rules report, and the default subject of parseServiceGroups' messages. */
export const serviceGroupsField = `spec.options.${serviceGroupsOption}`;

/** A label name: at most 63 characters, alphanumeric at both ends, `-`, `_` or `.` inside. */
export const groupNamePattern = "^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$";

/** One comma-separated entry: a group name, optionally surrounded by spaces (`support, sales`). */
const entryPattern = "^ *[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])? *$";
const entryRegExp = new RegExp(entryPattern);

/** What CEL's trim() removes (Unicode White_Space), so both sides show an entry the same way. */
const surroundingWhitespace = /^\p{White_Space}+|\p{White_Space}+$/gu;

const groupRule = `use at most ${limits.groupName} characters, letters, digits, '-', '_' or '.', starting and ending with a letter or digit; separate groups with commas`;

/** The messages, written once: parseServiceGroups returns them and the CEL rules build them. */
export const serviceGroupsMessages = {
  empty: (subject: string): string =>
    `${subject}: the value is empty; list at least one group (e.g. "support, blackfriday") or remove the option`,
  tooMany: (subject: string): string =>
    `${subject}: more than ${limits.serviceGroups} groups are listed; list at most ${limits.serviceGroups}`,
  emptyEntry: (subject: string, value: string): string =>
    `${subject}: "${value}" has an empty group name; separate group names with single commas, e.g. "support, blackfriday"`,
  invalidEntry: (subject: string, group: string): string =>
    `${subject}: group "${group}" is not a valid label name: ${groupRule}`,
  duplicate: (subject: string, group: string): string =>
    `${subject}: group "${group}" is listed more than once; list each group once`,
} as const;

export type ServiceGroupsResult =
  | { readonly groups: readonly string[]; readonly error?: never }
  | { readonly error: string; readonly groups?: never };

/**
 * Splits `_service_groups` on commas and trims the spaces around each group. Returns the groups in
 * order, or the first problem found, worded as the CRD's CEL rule words it.
 */
export function parseServiceGroups(
  value: string,
  subject: string = serviceGroupsField,
): ServiceGroupsResult {
  const entries = value.split(",");
  if (entries.length > limits.serviceGroups) {
    return { error: serviceGroupsMessages.tooMany(subject) };
  }
  const bad = entries.find((entry) => !entryRegExp.test(entry));
  if (bad !== undefined) {
    const shown = bad.replace(surroundingWhitespace, "");
    if (value.replace(surroundingWhitespace, "") === "") {
      return { error: serviceGroupsMessages.empty(subject) };
    }
    return {
      error:
        shown === ""
          ? serviceGroupsMessages.emptyEntry(subject, value)
          : serviceGroupsMessages.invalidEntry(subject, shown),
    };
  }
  const groups = entries.map((entry) => entry.replace(surroundingWhitespace, ""));
  const repeated = groups.find((group) => groups.indexOf(group) !== groups.lastIndexOf(group));
  if (repeated !== undefined) return { error: serviceGroupsMessages.duplicate(subject, repeated) };
  return { groups };
}

// CEL. `self` is the options map; every rule holds when the option is absent.
const value = `self[${celString(serviceGroupsOption)}]`;
const present = `${celString(serviceGroupsOption)} in self`;
const entries = `${value}.split(',')`;
/** At most serviceGroups + 1 entries: a literal limit lets the apiserver bound the cost of the O(n²) check. */
const boundedEntries = `${value}.split(',', ${limits.serviceGroups + 1})`;
/** The count rule reports too many groups; the others then stay silent, as parseServiceGroups does. */
const tooMany = `size(${entries}) > ${limits.serviceGroups}`;
const isValidEntry = (entry: string): string => `${entry}.matches(${celString(entryPattern)})`;
const trimmedBounded = `${boundedEntries}.map(g, g.trim())`;

/** The CEL rules that mirror parseServiceGroups, attached to `spec.options`. */
export function serviceGroupsCelRules(): CelRule[] {
  const f = serviceGroupsField;
  const m = serviceGroupsMessages;
  const firstBad = `${boundedEntries}.filter(g, !${isValidEntry("g")})[0].trim()`;
  const firstRepeated = `${trimmedBounded}.filter(g, !${trimmedBounded}.exists_one(h, h == g))[0]`;
  return [
    {
      rule: `!(${present}) || size(${entries}) <= ${limits.serviceGroups}`,
      message: `${f}: at most ${limits.serviceGroups} groups are allowed`,
      messageExpression: celMessage(() => m.tooMany(f)),
    },
    {
      rule: `!(${present}) || ${tooMany} || ${boundedEntries}.all(g, ${isValidEntry("g")})`,
      message: `${f}: every group must be a valid label name: ${groupRule}`,
      messageExpression:
        `${value}.trim() == '' ? ${celMessage(() => m.empty(f))}` +
        ` : ${firstBad} == '' ? ${celMessage((v) => m.emptyEntry(f, v), value)}` +
        ` : ${celMessage((g) => m.invalidEntry(f, g), firstBad)}`,
    },
    {
      rule:
        `!(${present}) || ${tooMany} || ` +
        `${trimmedBounded}.all(g, ${trimmedBounded}.exists_one(h, h == g))`,
      message: `${f}: each group may be listed only once`,
      messageExpression: celMessage((g) => m.duplicate(f, g), firstRepeated),
    },
  ];
}
