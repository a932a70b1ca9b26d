// How the readers treat a blank value: "not specified" (the default applies), as GMS does for an
// empty `_throttle_request_parameters` or `_throttle_request_parameters_limit` (Genesys'
// ThrottlePreventSameCustomerNumberTests, gms-reference-2.md §6.2: "Limit -1 or empty falls back to
// the default 6"; "_throttle_request_parameters empty still throttles on _customer_number"), except
// `_default_country`, whose blank value GMS reports as "not configured" rather than using US
// (test/callback-api/http-rules.test.ts).
import { describe, expect, it } from "vitest";
import { readGmsOptions } from "./gms-option-readers.ts";

const read = (section: Record<string, string>) => readGmsOptions(section).values;

describe("a blank option value", () => {
  it("gives the default for a string option, as for every other type", () => {
    expect(read({ _resource_group: "" })._resource_group).toBe("DNIS");
    expect(read({ _resource_group: "  " })._resource_group).toBe("DNIS");
    expect(read({ _service: " " })._service).toBe("callback");
    expect(read({ _business_hours_service: "" })._business_hours_service).toBeUndefined();
    expect(read({ _capacity_service: "\t" })._capacity_service).toBeUndefined();
    expect(read({ username: "" }).username).toBeUndefined();
    // The same rule the other readers already follow (GMS: an empty limit is the default 6).
    expect(
      read({ _throttle_request_parameters_limit: "" })._throttle_request_parameters_limit,
    ).toBe(6);
    expect(read({ _throttle_request_parameters: "" })._throttle_request_parameters).toEqual([
      "_customer_number",
    ]);
  });

  it("is read trimmed when set", () => {
    expect(read({ _resource_group: " Mobile " })._resource_group).toBe("Mobile");
  });

  it("stays empty for _default_country: GMS says the option is not configured", () => {
    expect(read({ _default_country: "" })._default_country).toBe("");
    expect(read({ _default_country: "  " })._default_country).toBe("");
    expect(read({})._default_country).toBe("US");
  });
});
