// The typed readers of GMS options: pure functions of a service section (option name → raw value,
// as the Callback API reads it from the mounted ConfigMap) that apply the table's defaults,
// allowed values and aliases (gms-options.ts). A value that does not parse falls back to the
// default and is reported, so a typo never stops the API. The Callback API's ServiceOptions are
// these values (src/callback-api/options.ts); no default or allowed value is declared there.
import { gmsOptions, type GmsOption, type OptionReader } from "./gms-options.ts";

type Row = (typeof gmsOptions)[number];
type ReadRow = Extract<Row, { read: OptionReader }>;

/** An option's typed value: an enum is one of its values; a string with a default is always set. */
type ValueOf<R> = R extends { read: "boolean" }
  ? boolean
  : R extends { read: "integer" | "duration" }
    ? number
    : R extends { read: "list" }
      ? readonly string[]
      : R extends { read: "enum"; enum: readonly (infer E)[] }
        ? E
        : R extends { default: string }
          ? string
          : string | undefined;

/** Every option the Callback API honours, by name, as its reader types it. */
export type GmsOptionValues = { readonly [R in ReadRow as R["name"]]: ValueOf<R> };

type Section = Readonly<Record<string, string>>;

/** Comma-separated entries, trimmed, empty ones dropped, each once. */
export function csv(value: string | undefined): string[] {
  if (value === undefined) return [];
  const items = value
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
  return [...new Set(items)];
}

const gmsDurationUnits: Readonly<Record<string, number>> = {
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
  M: 30 * 86_400_000,
  y: 365 * 86_400_000,
};

/** A GMS duration (`1M`, `2w`, `12h`: units y, M, w, d, h, m) in ms; undefined if it is none. */
export function gmsDurationMs(text: string): number | undefined {
  const match = /^(\d{1,6})([yMwdhm])$/.exec(text.trim());
  const unit = gmsDurationUnits[match?.[2] ?? ""];
  return match === null || unit === undefined ? undefined : Number(match[1]) * unit;
}

/** The value of a name that is set: trimmed, undefined when missing or blank. */
function present(section: Section, name: string): string | undefined {
  const value = section[name]?.trim();
  return value === undefined || value === "" ? undefined : value;
}

/** The option's own name, or the first alias that is set when the name is not. */
function sourceName(section: Section, option: GmsOption): string {
  const names = [option.name, ...(option.aliases ?? [])];
  return names.find((name) => present(section, name) !== undefined) ?? option.name;
}

type Reader = (section: Section, option: GmsOption, warnings: string[]) => unknown;

const readers: Readonly<Record<OptionReader, Reader>> = {
  string: (section, option) => {
    const name = sourceName(section, option);
    const value = present(section, name);
    if (value !== undefined) return value;
    return option.blankIsEmpty === true && section[name] !== undefined ? "" : option.default;
  },
  boolean: (section, option, warnings) => {
    const name = sourceName(section, option);
    const fallback = option.default === "true";
    const value = present(section, name)?.toLowerCase();
    if (value === undefined) return fallback;
    if (value === "true" || value === "false") return value === "true";
    warnings.push(`${name}=${value} is not true or false; using ${String(fallback)}`);
    return fallback;
  },
  integer: (section, option, warnings) => {
    const name = sourceName(section, option);
    const fallback = Number(option.default);
    const value = present(section, name);
    if (value === undefined) return fallback;
    const allowed = option.enum?.map(Number);
    if (/^\d{1,9}$/.test(value) && (allowed === undefined || allowed.includes(Number(value)))) {
      return Number(value);
    }
    warnings.push(`${name}=${value} is not valid; using ${String(fallback)}`);
    return fallback;
  },
  enum: (section, option, warnings) => {
    const name = sourceName(section, option);
    const fallback = option.default ?? "";
    const value = present(section, name)?.toLowerCase();
    if (value === undefined) return fallback;
    // GMS compares enum values without case: `strict`, `USERORIGINATED` and `userOriginated` are read.
    const found = option.enum?.find((candidate) => candidate.toLowerCase() === value);
    if (found !== undefined) return found;
    warnings.push(
      `${name}=${value} is not one of ${(option.enum ?? []).join(", ")}; using ${fallback}`,
    );
    return fallback;
  },
  list: (section, option) => {
    const items = csv(section[sourceName(section, option)]);
    const listed = items.length > 0 ? items : csv(option.default);
    const allowed = option.enum;
    return allowed === undefined ? listed : listed.filter((item) => allowed.includes(item));
  },
  duration: (section, option, warnings) => {
    const name = sourceName(section, option);
    const fallback = option.default ?? "";
    const value = present(section, name) ?? fallback;
    const ms = gmsDurationMs(value);
    if (ms !== undefined) return ms;
    warnings.push(`${name}=${value} is not like 1M, 2w, 1d; using ${fallback}`);
    return gmsDurationMs(fallback) ?? 0;
  },
};

/** Every honoured option of a section, typed, with a warning for each value it had to ignore. */
export function readGmsOptions(section: Section): {
  readonly values: GmsOptionValues;
  readonly warnings: readonly string[];
} {
  const warnings: string[] = [];
  const entries = (gmsOptions as readonly GmsOption[]).flatMap((option) =>
    option.read === undefined
      ? []
      : [[option.name, readers[option.read](section, option, warnings)] as const],
  );
  return { values: Object.fromEntries(entries) as GmsOptionValues, warnings };
}
