import { describe, expect, it } from "vitest";
import { serviceTemplateSpecSchema, templateSpecProblems } from "./service-template.ts";

const valid = {
  options: [
    { name: "_call_direction", type: "enum", enum: ["USERORIGINATED", "USERTERMINATED"] },
    { name: "_ttl", type: "integer", default: "86400", mandatory: true },
  ],
  scenarios: [{ name: "Immediate", values: { _call_direction: "USERTERMINATED" } }],
};

const problems = (spec: unknown): string[] => {
  const result = serviceTemplateSpecSchema.safeParse(spec);
  return result.success ? [] : result.error.issues.map((issue) => issue.message);
};

describe("ServiceTemplate spec", () => {
  it("accepts a small template and fills in defaults", () => {
    const spec = serviceTemplateSpecSchema.parse(valid);
    expect(spec.serviceType).toBe("callback");
    expect(spec.options[1]).toMatchObject({ mandatory: true, advanced: false, request: false });
    expect(spec.options[0]?.mandatory).toBe(false);
    expect(templateSpecProblems(spec)).toEqual([]);
  });

  it.each([
    [
      "an enum default outside the enum",
      { options: [{ name: "_a", type: "enum", enum: ["x", "y"], default: "z" }] },
      'option _a: "z" is not allowed; use one of: x, y',
    ],
    [
      "an enum option without values",
      { options: [{ name: "_a", type: "enum" }] },
      'option "_a" has type enum but no enum values',
    ],
    [
      "enum values on an integer option",
      { options: [{ name: "_a", type: "integer", enum: ["1"] }] },
      'option "_a" has enum values but type integer',
    ],
    [
      "a boolean default that is not true or false",
      { options: [{ name: "_a", type: "boolean", default: "yes" }] },
      'option _a: "yes" is not a boolean',
    ],
    [
      "a request parameter with a default",
      { options: [{ name: "_a", request: true, default: "x" }] },
      'option "_a" is a request parameter and has a default',
    ],
    [
      "an option declared twice",
      { options: [{ name: "_a" }, { name: "_a" }] },
      'option "_a" is declared more than once',
    ],
    [
      "an option name that is not a ConfigMap key",
      { options: [{ name: "a b" }] },
      'option name "a b" is not valid',
    ],
    [
      "a scenario value for an undeclared option",
      { scenarios: [{ name: "S", values: { _nope: "1" } }] },
      'scenario "S" sets option "_nope", which spec.options does not declare',
    ],
    [
      "a scenario value of the wrong type",
      { scenarios: [{ name: "S", values: { _ttl: "a day" } }] },
      'spec.scenarios[0].values: option _ttl: "a day" is not an integer',
    ],
    [
      "a numbered option with a default (a family has no single value)",
      { options: [{ name: "_bh_regular", numbered: true, default: "Mon 9:00-10:00" }] },
      'option "_bh_regular" is numbered (it declares _bh_regular<n>) and has a default',
    ],
    [
      "a mandatory numbered option",
      { options: [{ name: "_holiday", numbered: true, mandatory: true }] },
      'option "_holiday" is numbered (it declares _holiday<n>) and mandatory',
    ],
    [
      "a scenario value for the bare name of a numbered family",
      {
        options: [{ name: "_bh_regular", numbered: true }],
        scenarios: [{ name: "S", values: { _bh_regular: "Mon 9:00-10:00" } }],
      },
      'scenario "S" sets option "_bh_regular", which spec.options does not declare',
    ],
    [
      "a scenario declared twice",
      { scenarios: [{ name: "S" }, { name: "S" }] },
      'scenario "S" is declared more than once',
    ],
  ])("rejects %s", (_, change, message) => {
    expect(problems({ ...valid, ...change }).join("\n")).toContain(message);
  });

  it("accepts scenario values for members of a numbered family (GMS _bh_regular<n>, gms-reference-2.md §2.1)", () => {
    const spec = serviceTemplateSpecSchema.parse({
      options: [{ name: "_bh_regular", numbered: true, type: "string" }],
      scenarios: [
        {
          name: "S",
          values: { _bh_regular1: "Mon-Fri 9:00-17:00", _bh_regular12: "Sat 9:00-12:00" },
        },
      ],
    });
    expect(spec.options[0]?.numbered).toBe(true);
    expect(templateSpecProblems(spec)).toEqual([]);
  });

  it("rejects a template without options or scenarios", () => {
    expect(problems({ options: [], scenarios: [] })).toHaveLength(2);
  });
});
