// The services a callback service names (`_business_hours_service`, `_capacity_service`; GMS
// Callback Services API, gms-reference-2.md §2.3 and §3): what is logged about them.
import { describe, expect, it } from "vitest";
import { linkedServices, linkedWarnings } from "./linked-services.ts";
import { resolveOptions } from "./options.ts";

describe("linked services", () => {
  it("warns that _enable_reject_out_of_office_hours does nothing without office hours", () => {
    const options = resolveOptions("svc", { _enable_reject_out_of_office_hours: "true" });
    expect(
      linkedWarnings(
        options,
        linkedServices(options, () => undefined),
      ),
    ).toEqual([
      "_enable_reject_out_of_office_hours=true has no effect: no _business_hours_service is set",
    ]);
  });

  it("reports a missing section, a bad name, and a note of a valid one", () => {
    const options = resolveOptions("svc", {
      _business_hours_service: "office",
      _capacity_service: "../etc",
    });
    const sections = (name: string) =>
      name === "office" ? { _bh_regular1: "Mon-Fri 9:00-17:00" } : undefined;
    expect(linkedWarnings(options, linkedServices(options, sections))).toEqual([
      "service office: _timezone is not set; using UTC",
      "_capacity_service=../etc is not a service name: create the capacity service ../etc, or correct _capacity_service",
    ]);
    expect(
      linkedWarnings(
        options,
        linkedServices(options, () => undefined),
      )[0],
    ).toBe(
      "_business_hours_service=office: no office-hours service office is mounted (services/office in the config directory): create the office-hours service office, or correct _business_hours_service",
    );
  });
});
