import { describe, expect, it } from "vitest";
import {
  builtinCallbackTemplate,
  builtinCallbackTemplateInput,
} from "./builtin-callback-template.ts";
import { builtinTemplateName } from "./group.ts";
import { checkOptionValue } from "./option-types.ts";
import { serviceTemplateSchema, templateSpecProblems } from "./service-template.ts";

const { spec } = builtinCallbackTemplate;
const option = (name: string) => spec.options.find((o) => o.name === name);

describe("the built-in callback template", () => {
  it("is named callback and passes the ServiceTemplate schema", () => {
    expect(builtinCallbackTemplate.metadata.name).toBe(builtinTemplateName);
    expect(serviceTemplateSchema.safeParse(builtinCallbackTemplateInput).success).toBe(true);
    expect(templateSpecProblems(spec)).toEqual([]);
  });

  // gms-reference.md §2, last paragraph: "The 8.5.110 template has ≈100 keys in all (e.g.
  // `_status_notification_*`, `_snooze_duration` 300, `_plugin_on_dial_*`,
  // `_max_time_to_wait_for_agent_on_the_call` 3600)" (Genesys' functional tests, ServiceOptions.java).
  it("declares the 8.5.110 template keys whose values the references give, with those values", () => {
    expect(option("_snooze_duration")).toMatchObject({ type: "integer", default: "300" });
    expect(option("_max_time_to_wait_for_agent_on_the_call")).toMatchObject({
      type: "integer",
      default: "3600",
    });
    // The families named without members or values are not declared (docs/adr/0113).
    expect(
      spec.options.filter((o) =>
        /^_(status_notification|plugin_on_dial|urs_vq_priority)/.test(o.name),
      ),
    ).toEqual([]);
  });

  // gms-reference.md §3: the 8.5.2 list (CLBCK:UG:Scenarios:8.5.2) also names User Terminated Agent
  // First with Implicit Reservation, Capacity, IVR Classic Callback and Preview and Disposition, but
  // the references give no option values for them: none is a preset here (docs/adr/0113).
  it("has the six Common Default Configurations of the GMS docs", () => {
    expect(spec.scenarios.map((s) => s.name)).toEqual([
      "User-Originated-Immediate",
      "User-Originated-Delayed",
      "User-Terminated-Immediate",
      "User-Terminated-Delayed",
      "User-Terminated-Preview",
      "User-Terminated-Scheduled",
    ]);
  });

  it.each([
    ["User-Originated-Immediate", "USERORIGINATED", "false", "false"],
    ["User-Terminated-Immediate", "USERTERMINATED", "false", "false"],
    ["User-Terminated-Delayed", "USERTERMINATED", "true", "true"],
    ["User-Terminated-Preview", "USERTERMINATED", "true", "false"],
  ])("presets the documented values of %s", (name, direction, waitForAgent, confirm) => {
    expect(spec.scenarios.find((s) => s.name === name)?.values).toMatchObject({
      _call_direction: direction,
      _media_type: "voice",
      _wait_for_agent: waitForAgent,
      _wait_for_user_confirm: confirm,
    });
  });

  it("gives every default and scenario value a value its option accepts", () => {
    let checked = 0;
    for (const o of spec.options) {
      if (o.default === undefined) continue;
      expect(checkOptionValue(o, o.default), o.name).toBeUndefined();
      checked += 1;
    }
    for (const scenario of spec.scenarios) {
      for (const [name, value] of Object.entries(scenario.values ?? {})) {
        const declared = option(name);
        expect(declared, `${scenario.name} sets ${name}`).toBeDefined();
        if (declared !== undefined) expect(checkOptionValue(declared, value)).toBeUndefined();
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(50);
  });

  it("declares the GMS catalog with its classes", () => {
    expect(spec.options.length).toBeGreaterThanOrEqual(70);
    const mandatory = spec.options.filter((o) => o.mandatory).map((o) => o.name);
    expect(mandatory).toEqual(
      expect.arrayContaining([
        "_type",
        "_service",
        "_wait_for_agent",
        "_user_confirm_timeout",
        "_ttl",
        "_agent_transfer_confirm_timeout",
        "_provide_code",
        "_booking_expiration_timeout",
        "_route_point",
        "_agent_first_via_rp",
        "_customer_number",
        "_mandatory_customer_lookup_keys",
      ]),
    );
    expect(spec.options.filter((o) => o.request).map((o) => o.name)).toEqual([
      "_customer_number",
      "_originating_interaction_id",
      "_desired_time",
    ]);
    expect(option("_agent_transfer_confirm_timeout")?.advanced).toBe(true);
    expect(option("_service_groups")).toMatchObject({ type: "list", mandatory: false });
    expect(option("_request_time_bucket")?.enum).toEqual([
      "5",
      "10",
      "15",
      "20",
      "30",
      "60",
      "120",
    ]);
    expect(option("_reject_future_desired_time")).toMatchObject({
      type: "duration",
      default: "1M",
    });
  });

  it("gives request parameters no default (a configured value overrides the request's)", () => {
    for (const o of spec.options.filter((o) => o.request)) expect(o.default).toBeUndefined();
  });

  it("describes every option", () => {
    for (const o of spec.options) expect(o.description?.length, o.name).toBeGreaterThan(10);
  });

  it("keeps the password out of options", () => {
    expect(option("password")).toBeUndefined();
    expect(option("username")).toBeDefined();
  });
});
