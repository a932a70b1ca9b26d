import { describe, expect, it } from "vitest";
import { builtinCallbackTemplate } from "../api/builtin-callback-template.ts";
import { builtinSectionTemplates } from "../api/builtin-section-templates.ts";
import { effectiveOptions } from "./effective-options.ts";

const template = builtinCallbackTemplate.spec;
const effective = (options: Record<string, string>, removedOptions: string[] = []) =>
  effectiveOptions(
    { options: { _route_point: "8999@SIP_Switch", ...options }, removedOptions },
    template,
    {},
  );

describe("legacy option names (aliases in the GMS options table)", () => {
  it("are declared through the option they name: no undeclared warning, passed to the section", () => {
    const result = effective({ _throttle_customer_number_limit: "3" });
    expect(result.warnings).toEqual([]);
    expect(result.errors).toEqual([]);
    expect(result.options["_throttle_customer_number_limit"]).toBe("3");
  });

  it("are checked against that option's declaration, as a warning", () => {
    expect(effective({ _throttle_customer_number_limit: "many" }).warnings).toEqual([
      'option _throttle_customer_number_limit: "many" is not an integer; use a whole number, e.g. 30 (_throttle_customer_number_limit is the legacy name of _throttle_request_parameters_limit; the Callback API applies the default instead)',
    ]);
  });

  it("say so when the current name is set too, since it wins", () => {
    // The built-in template pre-fills _max_queued_callbacks_per_service with 1000.
    expect(effective({ max_queued_callbacks_per_service: "50" }).warnings).toEqual([
      "option max_queued_callbacks_per_service is the legacy name of _max_queued_callbacks_per_service, which is set too and wins; set _max_queued_callbacks_per_service instead",
    ]);
    expect(
      effective({ max_queued_callbacks_per_service: "50" }, ["_max_queued_callbacks_per_service"])
        .warnings,
    ).toEqual([]);
  });

  it("leave a name that is no alias undeclared", () => {
    expect(effective({ _throttle_customer_limit: "3" }).warnings).toEqual([
      "option _throttle_customer_limit is not declared by the template; it is passed to the service section unchecked",
    ]);
  });
});

describe("numbered option families (gms-reference-2.md §2.1 _bh_regular<n>, §3 _capacity_<d>)", () => {
  const [officeHours, capacity] = builtinSectionTemplates.map((t) => t.spec);
  if (officeHours === undefined || capacity === undefined) throw new Error("no section templates");

  it("declare every member: _bh_regular3 and _holiday12 are checked, not warned about", () => {
    const result = effectiveOptions(
      { options: { _bh_regular3: "Sat 10:00-14:00", _holiday12: "2030-12-25" } },
      officeHours,
      { _bh_regular1: "Mon-Fri 9:00-17:00" },
    );
    expect(result.warnings).toEqual([]);
    expect(result.errors).toEqual([]);
    expect(result.options).toMatchObject({
      _bh_regular1: "Mon-Fri 9:00-17:00",
      _bh_regular3: "Sat 10:00-14:00",
      _holiday12: "2030-12-25",
      _service: "office-hours",
      _type: "builtin",
      _timezone: "UTC",
    });
  });

  it("check each member against the family's type, naming the member", () => {
    const result = effectiveOptions({ options: { _capacity_2: "{not json" } }, capacity, {});
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatch(/^option _capacity_2: /);
    // _capacity_add is an option of its own, not a member of _capacity_<d>.
    expect(effectiveOptions({ options: { _capacity_add: "{}" } }, capacity, {}).warnings).toEqual(
      [],
    );
  });

  it("declare members only: the bare family name and a non-numeric suffix stay undeclared", () => {
    const result = effectiveOptions(
      { options: { _bh_regular: "Mon 9:00-10:00", _bh_regularX: "Mon 9:00-10:00" } },
      officeHours,
      {},
    );
    expect(result.warnings).toEqual([
      "option _bh_regular is not declared by the template; it is passed to the service section unchecked",
      "option _bh_regularX is not declared by the template; it is passed to the service section unchecked",
    ]);
  });

  it("can be removed member by member", () => {
    const result = effectiveOptions(
      { removedOptions: ["_bh_regular1"] },
      officeHours,
      officeHours.scenarios[0]?.values ?? {},
    );
    expect(result.warnings).toEqual([]);
    expect(result.options["_bh_regular1"]).toBeUndefined();
  });
});
