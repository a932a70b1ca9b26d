// The built-in office-hours and capacity templates (gms-reference-2.md §2.1, §3): valid, and every
// scenario gives a section that the Callback API's own parsers accept, so a service created from a
// scenario as-is is usable by the callback services that name it.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseCapacity } from "../callback-api/capacity.ts";
import { parseOfficeHours } from "../callback-api/office-hours.ts";
import { effectiveOptions } from "../render/effective-options.ts";
import { defaultRenderConfig } from "../render/render-config.ts";
import { render } from "../render/render.ts";
import { callbackServiceSchema } from "./callback-service.ts";
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

describe("examples/office-hours.yaml", () => {
  it("is the office-hours service the black-friday example names, and the Callback API parses its section", () => {
    const read = (file: string): unknown =>
      parse(readFileSync(new URL(`../../examples/${file}`, import.meta.url), "utf8"));
    const office = callbackServiceSchema.parse(read("office-hours.yaml"));
    const blackFriday = callbackServiceSchema.parse(read("callback-blackfriday-support.yaml"));
    expect(blackFriday.spec.options?.["_business_hours_service"]).toBe(office.metadata.name);
    const template = builtinSectionTemplates.find((t) => t.metadata.name === office.spec.template);
    const result = render(office, template, defaultRenderConfig);
    if (!result.ok) throw new Error(result.message);
    expect(result.facts.warnings).toEqual([]);
    expect(result.children.map((c) => c.kind)).toEqual(["ConfigMap"]);
    expect(parseOfficeHours(result.effectiveOptions)).toMatchObject({ ok: true, notes: [] });
  });
});
