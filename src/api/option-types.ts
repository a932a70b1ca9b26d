// The closed set of option types a ServiceTemplate declares, and the one check of a value against
// its option's declaration. The controller checks every effective option with checkOptionValue;
// the CRD checks what it can without the template (see service-template.ts).
import { limits } from "./limits.ts";
import { parseServiceGroups, serviceGroupsOption } from "./service-groups.ts";

export const optionTypes = [
  "string",
  "integer",
  "boolean",
  "enum",
  "list",
  "duration",
  "url",
  "json",
  "datetime",
] as const;

export type OptionType = (typeof optionTypes)[number];

/** What each type accepts, as the CRD and the docs describe it. */
export const optionTypeDescriptions: Readonly<Record<OptionType, string>> = {
  string: "any text",
  integer: "a whole number, e.g. 30",
  boolean: "true or false",
  enum: "one of the option's enum values",
  list: "comma-separated entries, spaces around entries ignored (e.g. _customer_lookup_keys); with enum, every entry must be one of its values",
  duration: "a number and a unit y, M, w, d, h or m (months M, minutes m), e.g. 1M",
  url: "an absolute http or https URL",
  json: "a JSON document, e.g. an object or an array",
  datetime: "an ISO-8601 UTC time, e.g. 2026-11-25T14:30:00.000Z",
};

/** The part of an option declaration a value is checked against. */
export interface OptionDeclaration {
  readonly name: string;
  readonly type: OptionType;
  readonly enum?: readonly string[] | undefined;
}

const integerPattern = /^-?[0-9]+$/;
const durationPattern = /^[0-9]+[yMwdhm]$/;
const datetimePattern = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,3})?Z$/;

/** Shows a value in a message, shortened if long. */
function shown(value: string): string {
  return value.length > 64 ? `${value.slice(0, 61)}...` : value;
}

/**
 * Checks one option value against its declaration. Returns undefined when the value is valid,
 * otherwise a message naming the option and saying what is allowed. `_service_groups` is always
 * checked by the group rules (service-groups.ts), whatever type the template declares.
 */
export function checkOptionValue(option: OptionDeclaration, value: string): string | undefined {
  const subject = `option ${option.name}`;
  if (value.length > limits.optionValue) {
    return `${subject}: the value has ${value.length} characters; at most ${limits.optionValue} are allowed`;
  }
  if (option.name === serviceGroupsOption) return parseServiceGroups(value, subject).error;
  const problem = typeCheckers[option.type](value, option.enum ?? []);
  return problem === undefined ? undefined : `${subject}: "${shown(value)}" ${problem}`;
}

/** Each returns what is wrong with the value ("is not ..."), or undefined. */
const typeCheckers: Readonly<
  Record<OptionType, (value: string, allowed: readonly string[]) => string | undefined>
> = {
  string: () => undefined,
  integer: (value) =>
    integerPattern.test(value) && Number.isSafeInteger(Number(value))
      ? undefined
      : `is not an integer; use ${optionTypeDescriptions.integer}`,
  boolean: (value) =>
    value === "true" || value === "false" ? undefined : "is not a boolean; use true or false",
  enum: (value, allowed) =>
    allowed.includes(value) ? undefined : `is not allowed; use one of: ${allowed.join(", ")}`,
  list: (value, allowed) => checkList(value, allowed),
  duration: (value) =>
    durationPattern.test(value)
      ? undefined
      : `is not a duration; use ${optionTypeDescriptions.duration}`,
  url: (value) =>
    isHttpUrl(value) ? undefined : `is not a URL; use ${optionTypeDescriptions.url}`,
  json: (value) => (isJson(value) ? undefined : "is not valid JSON"),
  datetime: (value) =>
    isUtcDatetime(value)
      ? undefined
      : `is not a date and time; use ${optionTypeDescriptions.datetime}`,
};

function checkList(value: string, allowed: readonly string[]): string | undefined {
  if (value.trim() === "") return undefined; // an empty list
  const entries = value.split(",").map((entry) => entry.trim());
  if (entries.includes("")) return "has an empty entry; separate entries with single commas";
  if (allowed.length === 0) return undefined;
  const bad = entries.find((entry) => !allowed.includes(entry));
  return bad === undefined
    ? undefined
    : `lists "${shown(bad)}", which is not allowed; list only: ${allowed.join(", ")}`;
}

function isHttpUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const { protocol } = new URL(value);
  return protocol === "http:" || protocol === "https:";
}

function isJson(value: string): boolean {
  try {
    JSON.parse(value);
    return true;
  } catch {
    return false;
  }
}

function isUtcDatetime(value: string): boolean {
  const match = datetimePattern.exec(value);
  if (match === null) return false;
  const [, year, month, day, hour, minute, second] = match.map(Number);
  const date = new Date(value);
  return (
    !Number.isNaN(date.getTime()) &&
    date.getUTCFullYear() === year &&
    date.getUTCMonth() + 1 === month &&
    date.getUTCDate() === day &&
    date.getUTCHours() === hour &&
    date.getUTCMinutes() === minute &&
    date.getUTCSeconds() === second
  );
}
