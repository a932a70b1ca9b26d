// The built-in office-hours and capacity templates (gms-reference-2.md §2.1, §3): valid, and every
// scenario gives a section that the Callback API's own parsers accept, so a service created from a
// scenario as-is is usable by the callback services that name it.
import { describe, expect, it } from "vitest";
import { parseCapacity } from "../callback-api/capacity.ts";
import { parseOfficeHours } from "../callback-api/office-hours.ts";
import { effectiveOptions } from "../render/effective-options.ts";
import { builtinSectionTemplates, isSectionOnly } from "./builtin-section-templates.ts";
import { templateSpecProblems } from "./service-template.ts";

const parsers = { "office-hours": parseOfficeHours, capacity: parseCapacity } as const;

describe("built-in section-only templates", () => {
  it("are named after their serviceType, which is section-only", () => {
    expect(builtinSectionTemplates.map((t) => [t.metadata.name, t.spec.serviceType])).toEqual([
      ["office-hours", "office-hours"],
      ["capacity", "capacity"],
    ]);
    expect(builtinSectionTemplates.every((t) => isSectionOnly(t.spec.serviceType))).toBe(true);
    expect(isSectionOnly("callback")).toBe(false);
  });

  it.each(
    builtinSectionTemplates.flatMap((t) =>
      t.spec.scenarios.map((s) => [t.metadata.name, s.name, t, s.values ?? {}] as const),
    ),
  )("%s / %s: a valid section the Callback API parses", (_, __, template, values) => {
    expect(templateSpecProblems(template.spec)).toEqual([]);
    const effective = effectiveOptions({}, template.spec, values);
    expect(effective.errors).toEqual([]);
    expect(effective.warnings).toEqual([]);
    const parse = parsers[template.spec.serviceType as keyof typeof parsers];
    const parsed = parse(effective.options);
    expect(parsed).toMatchObject({ ok: true, notes: [] });
  });
});
