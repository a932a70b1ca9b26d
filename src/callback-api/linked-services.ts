// The section-only services a callback service names: `_business_hours_service` (an office-hours
// service) and `_capacity_service` (a capacity service). The operator mounts each one as
// `<config-dir>/services/<name>/`, one file per option (service-sections.ts reads and watches them).
// A name whose section is missing or invalid never means "always open" or "no limit": the requests
// that need it get a 400 naming the option and the fix.
import { parseCapacity, type Capacity } from "./capacity.ts";
import type { RawOptions } from "./config-dir.ts";
import { CallbackError } from "./errors.ts";
import { parseOfficeHours, type OfficeHours, type Parsed } from "./office-hours.ts";
import type { ServiceOptions } from "./options.ts";

/** A mounted section by service name; undefined when no directory holds it. */
export type SectionLookup = (name: string) => RawOptions | undefined;

/** Names that are one path component: GMS service names (letters, digits, `_`, `-`, `.`). */
export function isServiceDirName(name: string): boolean {
  return /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,252}$/.test(name);
}

export type Linked<T> =
  | {
      readonly kind: "ok";
      readonly name: string;
      readonly value: T;
      readonly notes: readonly string[];
    }
  | { readonly kind: "invalid"; readonly name: string; readonly problem: string };

const parsedSections = new WeakMap<RawOptions, Parsed<unknown>>();

function memoParse<T>(section: RawOptions, parse: (s: RawOptions) => Parsed<T>): Parsed<T> {
  // A section object is replaced, never changed, when its directory changes.
  let parsed = parsedSections.get(section) as Parsed<T> | undefined;
  if (parsed === undefined) {
    parsed = parse(section);
    parsedSections.set(section, parsed);
  }
  return parsed;
}

function link<T>(
  option: string,
  kind: string,
  name: string,
  sections: SectionLookup,
  parse: (s: RawOptions) => Parsed<T>,
): Linked<T> {
  const fix = `create the ${kind} service ${name}, or correct ${option}`;
  if (!isServiceDirName(name)) {
    return {
      kind: "invalid",
      name,
      problem: `${option}=${name.slice(0, 64)} is not a service name: ${fix}`,
    };
  }
  const section = sections(name);
  if (section === undefined) {
    return {
      kind: "invalid",
      name,
      problem: `${option}=${name}: no ${kind} service ${name} is mounted (services/${name} in the config directory): ${fix}`,
    };
  }
  const parsed = memoParse(section, parse);
  if (!parsed.ok) {
    return {
      kind: "invalid",
      name,
      problem: `${option}=${name}: the ${kind} service ${name} is invalid: ${parsed.problem}`,
    };
  }
  return { kind: "ok", name, value: parsed.value, notes: parsed.notes };
}

export interface LinkedServices {
  readonly officeHours: Linked<OfficeHours> | undefined;
  readonly capacity: Linked<Capacity> | undefined;
}

export const NO_LINKED_SERVICES: LinkedServices = { officeHours: undefined, capacity: undefined };

export function linkedServices(options: ServiceOptions, sections: SectionLookup): LinkedServices {
  const hours = options._business_hours_service?.trim() ?? "";
  const capacity = options._capacity_service?.trim() ?? "";
  return {
    officeHours:
      hours === ""
        ? undefined
        : link("_business_hours_service", "office-hours", hours, sections, parseOfficeHours),
    capacity:
      capacity === ""
        ? undefined
        : link("_capacity_service", "capacity", capacity, sections, parseCapacity),
  };
}

/** The service's value, or the 400 that names the option and the fix. */
export function usable<T>(linked: Linked<T> | undefined): T | undefined {
  if (linked === undefined) return undefined;
  if (linked.kind === "invalid") {
    throw new CallbackError("CallbackExceptionServiceConfiguration", linked.problem);
  }
  return linked.value;
}

/** What to log about the linked services: one line per problem or note. */
export function linkedWarnings(options: ServiceOptions, linked: LinkedServices): string[] {
  const warnings: string[] = [];
  if (options._enable_reject_out_of_office_hours && linked.officeHours === undefined) {
    warnings.push(
      "_enable_reject_out_of_office_hours=true has no effect: no _business_hours_service is set",
    );
  }
  for (const entry of [linked.officeHours, linked.capacity]) {
    if (entry === undefined) continue;
    if (entry.kind === "invalid") warnings.push(entry.problem);
    else for (const note of entry.notes) warnings.push(`service ${entry.name}: ${note}`);
  }
  return warnings;
}
