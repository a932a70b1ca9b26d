// The built-in `office-hours` and `capacity` ServiceTemplates: GMS builtin services whose section is
// all there is (gms-reference-2.md §2.1, §3). A CallbackService made from one renders only its
// ConfigMap `service.{name}`; the callback services that name it (`_business_hours_service`,
// `_capacity_service`) mount that ConfigMap and evaluate it in their own Callback API
// (docs/adr/0100, 0102). The numbered GMS options are declared as families (numbered: true).
import type { OptionUse } from "./gms-options.ts";
import { apiVersion, kinds } from "./group.ts";
import {
  serviceTemplateSchema,
  type ServiceTemplate,
  type ServiceTemplateInput,
} from "./service-template.ts";

/** The serviceType of section-only templates: their services run no Callback API. */
const sectionOnlyServiceTypes = ["office-hours", "capacity"] as const;
type SectionOnlyServiceType = (typeof sectionOnlyServiceTypes)[number];

export function isSectionOnly(serviceType: string): serviceType is SectionOnlyServiceType {
  return (sectionOnlyServiceTypes as readonly string[]).includes(serviceType);
}

type OptionInput = ServiceTemplateInput["spec"]["options"][number];

/**
 * A section option as declared, with who acts on it (as every row of gms-options.ts says for the
 * callback options): the Callback API of each callback service that names the section parses it
 * (office-hours.ts, capacity.ts), or nothing does.
 */
type SectionOption = OptionInput & { readonly use: OptionUse };

const parsedBy = (rule: string): OptionUse => ({ by: "callback-api", rule });

const uses = new Map<string, ReadonlyMap<string, OptionUse>>();

/** Who acts on each option of a built-in section template, by template and option name. */
export const builtinSectionOptionUses: ReadonlyMap<string, ReadonlyMap<string, OptionUse>> = uses;

/** The declarations of a template's options, their uses recorded in builtinSectionOptionUses. */
function declared(template: string, options: readonly SectionOption[]): OptionInput[] {
  uses.set(template, new Map(options.map((option) => [option.name, option.use])));
  return options.map(({ use: _, ...declaration }) => declaration);
}

const timezone = (kind: string): SectionOption => ({
  name: "_timezone",
  use: parsedBy(
    `${kind} of the services that name this one: its slots are in this zone's wall time`,
  ),
  default: "UTC",
  mandatory: true,
  category: "General",
  description:
    "Office time zone, a Java (IANA) zone id such as Europe/Paris or America/Toronto; abbreviations such as EST are refused.",
});

const builtinType: SectionOption = {
  name: "_type",
  // Its one allowed value is its default, so no service can set it to anything the operator would
  // have to act on: the template's serviceType is what makes the service section-only.
  use: {
    by: "not-enforced",
    why: "GMS's engine type, informational: the template's serviceType decides",
  },
  type: "enum",
  enum: ["builtin"],
  default: "builtin",
  mandatory: true,
  description: "GMS service type: builtin.",
};

function serviceKind(kind: SectionOnlyServiceType): SectionOption {
  return {
    name: "_service",
    use: parsedBy(
      `a section whose _service is not ${kind} is refused by the services that name it`,
    ),
    type: "enum",
    enum: [kind],
    default: kind,
    mandatory: true,
    description: `GMS builtin service: ${kind}.`,
  };
}

const weekdaysNineToFive = "Mon-Fri 9:00-17:00";

/** gms-reference-2.md §2.1 (GMSServices-office-hours; FT ServiceOptions). */
const officeHoursTemplateInput: ServiceTemplateInput = {
  apiVersion,
  kind: kinds.serviceTemplate.kind,
  metadata: { name: "office-hours", labels: { "app.kubernetes.io/part-of": "callback-operator" } },
  spec: {
    serviceType: "office-hours",
    description:
      "GMS 8.5 builtin office-hours service (office-hours.zip): the weekly hours, added dates, holidays and effective dates a callback service names with _business_hours_service. Renders only its ConfigMap service.{name}.",
    options: declared("office-hours", [
      builtinType,
      serviceKind("office-hours"),
      timezone("office hours"),
      {
        name: "_bh_regular",
        use: parsedBy("office hours: open weekly (start, scheduled start, availability)"),
        numbered: true,
        category: "Office Hours",
        description:
          "Weekly open hours, DDD-DDD HH:mm-HH:mm, e.g. Mon-Fri 9:00-17:00. The day range may wrap the week (Sat-Mon); the hours may pass midnight (19:00-7:00); 24:00 ends a day. One per number: _bh_regular1, _bh_regular2, …",
      },
      {
        name: "_bh_add",
        use: parsedBy("office hours: open on this date"),
        numbered: true,
        category: "Office Hours",
        description:
          "A date the office is open, yyyy-MM-dd HH:mm-HH:mm, or MM-dd HH:mm-HH:mm every year. _bh_add1, _bh_add2, …",
      },
      {
        name: "_holiday",
        use: parsedBy("office hours: closed on this date"),
        numbered: true,
        category: "Office Hours",
        description: "A date the office is closed, yyyy-MM-dd or MM-dd every year. _holiday1, …",
      },
      {
        name: "_effective_dates",
        use: parsedBy("office hours: closed outside these ranges"),
        numbered: true,
        category: "Office Hours",
        description:
          "yyyy-MM-dd or yyyy-MM-dd to yyyy-MM-dd: when at least one is set, the office is closed outside these ranges. _effective_dates1, …",
      },
    ]),
    scenarios: [
      {
        name: "Weekdays",
        description: `Open ${weekdaysNineToFive} in _timezone; add holidays with _holiday<n>.`,
        values: { _bh_regular1: weekdaysNineToFive },
      },
      {
        name: "Always-Open",
        description: "Open around the clock (the GMS functional tests' Mon-Sun 00:00-24:00).",
        values: { _bh_regular1: "Mon-Sun 00:00-24:00" },
      },
    ],
  },
};

const tenPerSlot = (day: number): string =>
  JSON.stringify({
    [String(day)]: Object.fromEntries(
      [9, 10, 11, 12, 13, 14, 15, 16].map((hour) => [`${String(hour).padStart(2, "0")}00`, 10]),
    ),
  });

/** gms-reference-2.md §3 (Capacity API 8.5.1/8.5.2; Help/Capacity; FT ServiceOptions). */
const capacityTemplateInput: ServiceTemplateInput = {
  apiVersion,
  kind: kinds.serviceTemplate.kind,
  metadata: { name: "capacity", labels: { "app.kubernetes.io/part-of": "callback-operator" } },
  spec: {
    serviceType: "capacity",
    description:
      "GMS 8.5 builtin capacity service: callbacks allowed per _request_time_bucket slot, by weekday and hour, that a callback service names with _capacity_service. Renders only its ConfigMap service.{name}.",
    options: declared("capacity", [
      builtinType,
      serviceKind("capacity"),
      timezone("capacity"),
      {
        name: "_capacity",
        use: parsedBy("capacity: the weekdays _capacity_<d> numbers"),
        default: "[Mon, Tue, Wed, Thu, Fri, Sat, Sun]",
        category: "Capacity",
        description:
          "The weekdays in use, in the order _capacity_<d> numbers them (1 = the first listed).",
      },
      {
        name: "_capacity_",
        use: parsedBy(
          "capacity: callbacks per slot of each hour of weekday d (scheduled start, availability)",
        ),
        type: "json",
        numbered: true,
        category: "Capacity",
        description:
          'Capacity of weekday d (of _capacity) per hourly slot, {"<d>":{"HHmm":n,…}}, e.g. _capacity_1: {"1":{"0900":10}}; an hour left out has capacity 0; at most _max_capacity.',
      },
      {
        name: "_max_capacity",
        use: parsedBy(
          "capacity: a slot given more makes the section invalid (GMS CapacityException)",
        ),
        type: "integer",
        default: "1000",
        mandatory: true,
        category: "Capacity",
        description:
          "Maximum capacity of one hourly slot; a _capacity_<d> or _capacity_add hour above it makes the section invalid (GMS CapacityException).",
      },
      {
        name: "_capacity_add",
        use: parsedBy("capacity: the hours of these dates instead of their weekday's"),
        type: "json",
        default: "{}",
        category: "Capacity",
        description:
          'Date exceptions, {"yyyy-MM-dd":{"HHmm":n,…}} replacing that date\'s weekday capacity; {} or [] for none.',
      },
    ]),
    scenarios: [
      {
        name: "Weekdays",
        description: "10 callbacks per slot, Mon-Fri 9:00-17:00 in _timezone.",
        values: Object.fromEntries(
          [1, 2, 3, 4, 5].map((day) => [`_capacity_${String(day)}`, tenPerSlot(day)]),
        ),
      },
    ],
  },
};

/** The section-only built-in templates, parsed like any other (defaults filled in). */
export const builtinSectionTemplates: readonly ServiceTemplate[] = [
  officeHoursTemplateInput,
  capacityTemplateInput,
].map((input) => serviceTemplateSchema.parse(input));
