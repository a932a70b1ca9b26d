import { describe, expect, it } from "vitest";
import { limits } from "./limits.ts";
import { checkOptionValue, type OptionDeclaration, type OptionType } from "./option-types.ts";

const declared = (type: OptionType, values?: string[]): OptionDeclaration => ({
  name: "_x",
  type,
  ...(values === undefined ? {} : { enum: values }),
});

interface Case {
  readonly option: OptionDeclaration;
  readonly value: string;
  /** undefined: valid; otherwise a fragment of the message. */
  readonly problem?: string;
}

const cases: Record<string, Case> = {
  "string: anything": { option: declared("string"), value: "{specify your target here}" },
  "string: empty": { option: declared("string"), value: "" },
  "integer: digits": { option: declared("integer"), value: "86400" },
  "integer: negative": { option: declared("integer"), value: "-1" },
  "integer: a word": { option: declared("integer"), value: "thirty", problem: "is not an integer" },
  "integer: a decimal": { option: declared("integer"), value: "1.5", problem: "is not an integer" },
  "integer: empty": { option: declared("integer"), value: "", problem: "is not an integer" },
  "integer: too big": {
    option: declared("integer"),
    value: "99999999999999999999",
    problem: "is not an integer",
  },
  "boolean: true": { option: declared("boolean"), value: "true" },
  "boolean: false": { option: declared("boolean"), value: "false" },
  "boolean: capitalized": {
    option: declared("boolean"),
    value: "True",
    problem: "is not a boolean; use true or false",
  },
  "boolean: yes": { option: declared("boolean"), value: "yes", problem: "is not a boolean" },
  "enum: a value": { option: declared("enum", ["CUSTOMER", "AGENT"]), value: "AGENT" },
  "enum: wrong case": {
    option: declared("enum", ["CUSTOMER", "AGENT"]),
    value: "agent",
    problem: "is not allowed; use one of: CUSTOMER, AGENT",
  },
  "list: entries": { option: declared("list"), value: "_customer_number, _id" },
  "list: empty": { option: declared("list"), value: "" },
  "list: an empty entry": {
    option: declared("list"),
    value: "a,,b",
    problem: "has an empty entry",
  },
  "list with enum: allowed entries": {
    option: declared("list", ["_ors", "_target"]),
    value: "_target, _ors",
  },
  "list with enum: another entry": {
    option: declared("list", ["_ors", "_target"]),
    value: "_target,_ttl",
    problem: 'lists "_ttl", which is not allowed; list only: _ors, _target',
  },
  "duration: a month": { option: declared("duration"), value: "1M" },
  "duration: minutes": { option: declared("duration"), value: "90m" },
  "duration: no unit": { option: declared("duration"), value: "30", problem: "is not a duration" },
  "duration: ISO 8601": {
    option: declared("duration"),
    value: "P1M",
    problem: "is not a duration",
  },
  "url: https": { option: declared("url"), value: "https://ors.example.com:7210/scxml" },
  "url: ftp": { option: declared("url"), value: "ftp://example.com", problem: "is not a URL" },
  "url: relative": { option: declared("url"), value: "/scxml", problem: "is not a URL" },
  "json: an object": { option: declared("json"), value: '{"CPNDigits": "5551234"}' },
  "json: an array": { option: declared("json"), value: '[{"target": "A@B.GA"}]' },
  "json: broken": { option: declared("json"), value: "{target:", problem: "is not valid JSON" },
  "datetime: with milliseconds": {
    option: declared("datetime"),
    value: "2026-11-25T14:30:00.000Z",
  },
  "datetime: without milliseconds": { option: declared("datetime"), value: "2026-11-25T14:30:00Z" },
  "datetime: an offset": {
    option: declared("datetime"),
    value: "2026-11-25T14:30:00+01:00",
    problem: "is not a date and time",
  },
  "datetime: February 30": {
    option: declared("datetime"),
    value: "2026-02-30T10:00:00Z",
    problem: "is not a date and time",
  },
  "datetime: a date only": {
    option: declared("datetime"),
    value: "2026-11-25",
    problem: "is not a date and time",
  },
  "_service_groups: checked as groups whatever its type": {
    option: { name: "_service_groups", type: "string" },
    value: "support,,sales",
    problem: '"support,,sales" has an empty group name',
  },
  "_service_groups: valid": {
    option: { name: "_service_groups", type: "list" },
    value: "support, blackfriday",
  },
  "any type: too long": {
    option: declared("string"),
    value: "x".repeat(limits.optionValue + 1),
    problem: `at most ${limits.optionValue} are allowed`,
  },
};

describe("checkOptionValue", () => {
  it.each(Object.entries(cases))("%s", (_, { option, value, problem }) => {
    const result = checkOptionValue(option, value);
    if (problem === undefined) {
      expect(result).toBeUndefined();
    } else {
      expect(result).toContain(problem);
      expect(result).toMatch(new RegExp(`^option ${option.name}: `));
    }
  });

  it("shortens long values in messages", () => {
    const message = checkOptionValue(declared("integer"), "9".repeat(100) + "x");
    expect(message).toContain(`"${"9".repeat(61)}..."`);
  });
});
