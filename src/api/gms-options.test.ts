import { describe, expect, it } from "vitest";
import { builtinCallbackTemplate } from "./builtin-callback-template.ts";
import { gmsOptionAliases, gmsOptions, type GmsOption } from "./gms-options.ts";

const rows = gmsOptions as readonly GmsOption[];

describe("the GMS options table", () => {
  it("gives each option exactly one of mandatory and optional", () => {
    for (const option of rows) {
      const kinds = option.class.filter((c) => c === "mandatory" || c === "optional");
      expect(kinds, option.name).toHaveLength(1);
    }
  });

  it("names each option and alias once", () => {
    const names = [...rows.map((o) => o.name), ...gmsOptionAliases.keys()];
    expect(new Set(names).size).toBe(names.length);
    expect(gmsOptionAliases).toEqual(
      new Map([
        ["max_queued_callbacks_per_service", "_max_queued_callbacks_per_service"],
        ["_throttle_customer_number_limit", "_throttle_request_parameters_limit"],
      ]),
    );
  });

  it("is what the built-in template declares, row for row", () => {
    const declared = builtinCallbackTemplate.spec.options;
    expect(declared.map((o) => o.name)).toEqual(rows.map((o) => o.name));
    for (const [i, option] of rows.entries()) {
      expect(declared[i], option.name).toMatchObject({
        type: option.type ?? "string",
        mandatory: option.class.includes("mandatory"),
        advanced: option.class.includes("advanced"),
        request: option.class.includes("request"),
        description: option.description,
      });
      expect(declared[i]?.default, option.name).toBe(
        option.prefill === false ? undefined : option.default,
      );
    }
  });

  it("leaves out of new sections only the throttling defaults ADR 0022 and 0090 leave to the server, and the dispatch options GMS's template does not carry (ADR 0103)", () => {
    expect(rows.filter((o) => o.prefill === false).map((o) => [o.name, o.default])).toEqual([
      ["_ors_dispatch", "webhook"],
      ["_ors_lb_strategy", "circular"],
      ["_throttle_callbacks_per_service_1", "500"],
      ["_throttle_ttl_1", "300"],
      ["_throttle_callbacks_per_service_2", "1000"],
      ["_throttle_ttl_2", "3600"],
      ["_throttle_request_parameters", "_customer_number"],
      ["_throttle_request_parameters_limit", "6"],
      ["_enable_throttle_header_parameters", "true"],
    ]);
  });
});
