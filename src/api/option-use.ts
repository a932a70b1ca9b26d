// Which declared options nothing acts on yet, for a service that sets them: the controller shows
// them in status.warnings, so that no declared option is silently ignored (issue 17, item 1). Each
// row of the options table says who acts on it (`use` in gms-options.ts).
import { gmsOptionAliases, gmsOptions, type GmsOption } from "./gms-options.ts";

const notEnforced: ReadonlyMap<string, GmsOption & { use: { by: "not-enforced" } }> = new Map(
  (gmsOptions as readonly GmsOption[]).flatMap((option) =>
    option.use.by === "not-enforced"
      ? [[option.name, { ...option, use: option.use }] as const]
      : [],
  ),
);

export interface NotEnforcedOption {
  /** The name as the service sets it (a legacy alias stays as written). */
  readonly name: string;
  readonly why: string;
}

/**
 * The not-enforced options a service section sets, in name order. A blank value means "not
 * specified", and the option's default (`_enable_reject_out_of_office_hours=false`, which the
 * built-in template writes into new sections) asks for nothing the server does not do: neither is
 * flagged.
 */
export function notEnforcedOptions(section: Readonly<Record<string, string>>): NotEnforcedOption[] {
  const found: NotEnforcedOption[] = [];
  for (const [name, value] of Object.entries(section)) {
    const option = notEnforced.get(gmsOptionAliases.get(name) ?? name);
    const given = value.trim().toLowerCase();
    if (option === undefined || given === "" || given === option.default?.toLowerCase()) continue;
    found.push({ name, why: option.use.why });
  }
  return found.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** One line per not-enforced option a service sets, as status.warnings shows them. */
export function notEnforcedWarnings(section: Readonly<Record<string, string>>): string[] {
  return notEnforcedOptions(section).map(
    ({ name, why }) => `option ${name} is set but not enforced: ${why}`,
  );
}
