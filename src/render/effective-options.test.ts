import { describe, expect, it } from "vitest";
import { builtinCallbackTemplate } from "../api/builtin-callback-template.ts";
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
