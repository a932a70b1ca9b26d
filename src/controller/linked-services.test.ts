// The services a callback service names (gms-reference-2.md §2.3 _business_hours_service, §3
// _capacity_service): reported when missing or of the wrong serviceType; referrers indexed.
import { describe, expect, it } from "vitest";
import { builtinCallbackTemplate } from "../api/builtin-callback-template.ts";
import { builtinSectionTemplates } from "../api/builtin-section-templates.ts";
import { callbackServiceSchema, type CallbackService } from "../api/callback-service.ts";
import type { ServiceTemplate } from "../api/service-template.ts";
import type { Cache } from "../runtime/informer.ts";
import { linkedNames, linkedServiceWarnings, ReferrerIndex } from "./linked-services.ts";

const cache = <T>(entries: [string, T][]): Cache<T> => {
  const map = new Map(entries);
  return { get: (key) => map.get(key), list: () => map.values() };
};

const service = (name: string, spec: Record<string, unknown>): CallbackService =>
  callbackServiceSchema.parse({
    apiVersion: "callback-operator.io/v1alpha1",
    kind: "CallbackService",
    metadata: { name, namespace: "ns" },
    spec,
  });

const templates = cache<ServiceTemplate>(
  [builtinCallbackTemplate, ...builtinSectionTemplates].map((t) => [t.metadata.name, t]),
);
const referrer = service("support", {
  scenario: "User-Terminated-Scheduled",
  options: { _business_hours_service: "office", _capacity_service: "slots" },
});
const options = { _business_hours_service: "office", _capacity_service: "slots" };

describe("linked service warnings", () => {
  it("name the option, the missing service and the fix", () => {
    const warnings = linkedServiceWarnings(referrer, options, cache([]), templates);
    expect(warnings).toEqual([
      "option _business_hours_service: the office-hours service office does not exist in namespace ns, so the Callback API refuses the requests that need it; create a CallbackService office with spec.template: office-hours (see examples/office-hours.yaml), or correct _business_hours_service",
      "option _capacity_service: the capacity service slots does not exist in namespace ns, so the Callback API refuses the requests that need it; create a CallbackService slots with spec.template: capacity (see examples/office-hours.yaml), or correct _capacity_service",
    ]);
  });

  it("flag a service of the wrong serviceType, and are gone when each is right", () => {
    const office = service("office", { template: "office-hours", scenario: "Weekdays" });
    const wrong = service("slots", { template: "office-hours", scenario: "Weekdays" });
    const services = cache([
      ["ns/office", office],
      ["ns/slots", wrong],
    ]);
    expect(linkedServiceWarnings(referrer, options, services, templates)).toEqual([
      "option _capacity_service: CallbackService slots is not a capacity service (its ServiceTemplate office-hours has serviceType office-hours); name a service made from a template with serviceType capacity, or set spec.template of slots to one",
    ]);
    const slots = service("slots", { template: "capacity", scenario: "Weekdays" });
    const right = cache([
      ["ns/office", office],
      ["ns/slots", slots],
    ]);
    expect(linkedServiceWarnings(referrer, options, right, templates)).toEqual([]);
  });
});

describe("referrers", () => {
  it("are found from spec.options and kept current as services change", () => {
    const index = new ReferrerIndex();
    index.set("ns/support", "ns", linkedNames(referrer, templates));
    expect(index.referrers("ns/office")).toEqual(["ns/support"]);
    expect(index.referrers("ns/slots")).toEqual(["ns/support"]);
    expect(index.referrers("other/office")).toEqual([]);
    index.set("ns/support", "ns", ["office"]);
    expect(index.referrers("ns/slots")).toEqual([]);
    index.delete("ns/support");
    expect(index.referrers("ns/office")).toEqual([]);
  });

  it("a removed option names nothing", () => {
    const removed = service("s", {
      scenario: "User-Terminated-Scheduled",
      options: { _business_hours_service: "office" },
      removedOptions: ["_business_hours_service"],
    });
    expect(linkedNames(removed, templates)).toEqual([]);
  });
});
