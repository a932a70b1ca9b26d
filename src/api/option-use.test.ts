// Every option of the built-in template is honoured by the Callback API, passed on to the
// orchestration, or flagged as not enforced (issue 17, item 1). GMS source of the rows:
// gms-reference.md §2 (Callback service options) and gms-reference-2.md §2–§4.
import { describe, expect, it } from "vitest";
import { orsPayload } from "../callback-api/dispatcher.ts";
import { resolveOptions } from "../callback-api/options.ts";
import type { CallbackRow } from "../callback-api/store.ts";
import { builtinCallbackTemplate } from "./builtin-callback-template.ts";
import { builtinSectionOptionUses, builtinSectionTemplates } from "./builtin-section-templates.ts";
import { gmsOptions, type GmsOption, type OptionUse } from "./gms-options.ts";
import { notEnforcedOptions, notEnforcedWarnings } from "./option-use.ts";

const rows = gmsOptions as readonly GmsOption[];
const row = (name: string): GmsOption | undefined => rows.find((o) => o.name === name);

const callback: CallbackRow = {
  id: "ID1",
  serviceName: "svc",
  state: "QUEUED",
  reason: null,
  customerNumber: "+16504661100",
  desiredTime: 0,
  scheduled: false,
  expirationTime: 86_400_000,
  createdAt: 0,
  updatedAt: 0,
  properties: {},
  attempts: 1,
  nextAttemptAt: null,
  lastError: null,
  orsSessionId: null,
};

describe("who acts on each option", () => {
  // Every built-in template, as GMS lists callback, office-hours and capacity by default
  // (gms-reference-2.md §2.1 office-hours options, §3 capacity options).
  const templates = [builtinCallbackTemplate, ...builtinSectionTemplates];
  const useOf = (template: string, name: string): OptionUse | undefined =>
    template === builtinCallbackTemplate.metadata.name
      ? row(name)?.use
      : builtinSectionOptionUses.get(template)?.get(name);

  it("gives every option of every built-in template one of the three uses", () => {
    const unaccounted: string[] = [];
    for (const template of templates) {
      for (const { name } of template.spec.options) {
        const use = useOf(template.metadata.name, name);
        const accounted =
          (use?.by === "callback-api" && use.rule.trim() !== "") ||
          use?.by === "orchestration" ||
          (use?.by === "not-enforced" && use.why.trim() !== "");
        if (!accounted) unaccounted.push(`${template.metadata.name}/${name}`);
      }
    }
    expect(templates.map((t) => t.metadata.name)).toEqual(["callback", "office-hours", "capacity"]);
    expect(builtinCallbackTemplate.spec.options.length).toBeGreaterThan(70);
    expect(templates.reduce((n, t) => n + t.spec.options.length, 0)).toBeGreaterThan(80);
    expect(unaccounted).toEqual([]);
  });

  it("leaves no option of a section template not enforced unless its one allowed value is its default", () => {
    // A section-only service gets no not-enforced warning, so such an option must be unsettable.
    for (const template of builtinSectionTemplates) {
      for (const option of template.spec.options) {
        if (useOf(template.metadata.name, option.name)?.by !== "not-enforced") continue;
        expect(option.enum, `${template.metadata.name}/${option.name}`).toEqual([option.default]);
      }
    }
  });

  it("says the Callback API honours every option it reads, and names the request parameters it honours unread", () => {
    for (const option of rows.filter((o) => o.read !== undefined)) {
      expect(option.use.by, option.name).toBe("callback-api");
    }
    const unread = rows.filter((o) => o.use.by === "callback-api" && o.read === undefined);
    // `_ors` is read per callback by the dispatcher (ors-urls.ts); the others are request parameters.
    expect(unread.map((o) => o.name)).toEqual(["_ors", "_customer_number", "_desired_time"]);
  });

  it("passes every orchestration option on with each due callback (the dispatch payload)", () => {
    const passed = rows.filter((o) => o.use.by === "orchestration");
    expect(passed.length).toBeGreaterThan(30);
    for (const option of passed) {
      const options = resolveOptions("svc", { [option.name]: "set-by-the-service" });
      expect(orsPayload(callback, options)[option.name], option.name).toBe("set-by-the-service");
    }
  });

  it("flags exactly the options nothing acts on yet", () => {
    expect(rows.filter((o) => o.use.by === "not-enforced").map((o) => o.name)).toEqual([
      "_request_queue_time_stat",
    ]);
  });
});

describe("notEnforcedOptions", () => {
  it("lists the not-enforced options a service sets, ignoring blank ones and every other option", () => {
    const section = {
      _target: "Agents@Stat.GA",
      _request_queue_time_stat: "ExpectedWaitTime;Queue;8999@SIP_Server;Environment",
      _capacity_service: " ",
      _enable_reject_out_of_office_hours: "FALSE",
      _business_hours_service: "office-hours-support",
      unknown_option: "x",
    };
    expect(notEnforcedOptions(section).map((o) => o.name)).toEqual(["_request_queue_time_stat"]);
    expect(notEnforcedWarnings(section)[0]).toBe(
      "option _request_queue_time_stat is set but not enforced: GMS polls this statistic before submitting a queued request; here a callback is handed over as soon as it is due",
    );
    expect(notEnforcedOptions({})).toEqual([]);
    expect(notEnforcedOptions({ _request_queue_time_stat: " " })).toEqual([]);
  });

  it("sees nothing to flag in a section filled from the template's defaults", () => {
    const filled = Object.fromEntries(
      builtinCallbackTemplate.spec.options.flatMap((o) =>
        o.default === undefined ? [] : [[o.name, o.default] as const],
      ),
    );
    expect(Object.keys(filled).length).toBeGreaterThan(30);
    expect(notEnforcedOptions(filled)).toEqual([]);
  });
});
