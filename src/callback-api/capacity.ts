// A GMS `capacity` service (gms-reference-2.md §3): callbacks allowed per `_request_time_bucket`
// slot, set per weekday and local hour. `_capacity` lists the weekdays in use; `_capacity_<d>` is
// `{"<d>":{"HHmm":n,…}}` for the d-th of them (1 = the first listed, Mon by default); an hour left
// out, or a weekday not in use, has capacity 0. `_capacity_add` holds date exceptions; its format is
// not documented (§3 [UNCONFIRMED]), so only an empty one (`{}` or `[]`) is accepted here, and
// otherwise `{"yyyy-MM-dd":{"HHmm":n,…}}`, which replaces that date's weekday capacity.
import { parseSection, refuse, sectionZone, weekdayNumber, type Parsed } from "./office-hours.ts";
import { isRealDate, localTime } from "./zoned-time.ts";

/** GMS capacity option `_max_capacity` (default 1000, mandatory): no hourly slot may hold more. */
const DEFAULT_MAX_CAPACITY = 1000;

/** Capacity by hour (0-23); a missing hour is 0. */
type HourCapacity = ReadonlyMap<number, number>;

export interface Capacity {
  readonly timezone: string;
  /** By ISO weekday (1 = Monday). */
  readonly weekly: ReadonlyMap<number, HourCapacity>;
  /** By `yyyy-MM-dd`. */
  readonly dates: ReadonlyMap<string, HourCapacity>;
}

function parseHourMap(value: unknown, where: string, max: number): HourCapacity {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    refuse(`${where} is not an object of "HHmm": capacity`);
  }
  const hours = new Map<number, number>();
  for (const [key, count] of Object.entries(value)) {
    const match = /^(\d{2})00$/.exec(key);
    const hour = match === null ? 24 : Number(match[1]);
    if (hour > 23) refuse(`${where}: "${key.slice(0, 16)}" is not an hour like "0900"`);
    if (typeof count !== "number" || !Number.isInteger(count) || count < 0)
      refuse(`${where}: "${key}" is not a whole number of callbacks`);
    if (count > max) {
      refuse(
        `${where}: "${key}" is ${String(count)}, more than the maximum capacity ${String(max)} of _max_capacity (GMS CapacityException)`,
      );
    }
    hours.set(hour, count);
  }
  return hours;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** `_max_capacity`: the most callbacks one hourly slot may be given; 1000 when not specified. */
function maxCapacity(section: Readonly<Record<string, string>>): number {
  const text = section["_max_capacity"]?.trim() ?? "";
  if (text === "") return DEFAULT_MAX_CAPACITY;
  if (!/^\d{1,9}$/.test(text)) refuse(`_max_capacity=${text.slice(0, 16)} is not a whole number`);
  return Number(text);
}

/** `_capacity`: the weekdays in use, in the order `_capacity_<d>` numbers them. */
function weekdaysInUse(section: Readonly<Record<string, string>>): number[] {
  const listText = (section["_capacity"] ?? "").trim().replace(/^\[|\]$/g, "");
  const names =
    listText === "" ? ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] : listText.split(",");
  return names.map(
    (name) =>
      weekdayNumber(name) ??
      refuse(
        `_capacity=${listText.slice(0, 64)}: ${name.trim().slice(0, 16)} is not a weekday like Mon`,
      ),
  );
}

function weeklyCapacity(
  section: Readonly<Record<string, string>>,
  max: number,
): Map<number, HourCapacity> {
  const inUse = weekdaysInUse(section);
  const weekly = new Map<number, HourCapacity>();
  for (const key of Object.keys(section).filter((k) => /^_capacity_\d+$/.test(k))) {
    const index = key.slice("_capacity_".length);
    const weekday =
      inUse[Number(index) - 1] ??
      refuse(
        `${key}: _capacity lists ${String(inUse.length)} weekdays, so there is no weekday ${index}`,
      );
    const parsed = parseJson(section[key] ?? "");
    const inner =
      typeof parsed === "object" && parsed !== null
        ? (parsed as Record<string, unknown>)[index]
        : undefined;
    weekly.set(weekday, parseHourMap(inner, `${key} (expected {"${index}":{"0900":10,…}})`, max));
  }
  return weekly;
}

function dateCapacity(
  section: Readonly<Record<string, string>>,
  max: number,
): Map<string, HourCapacity> {
  const dates = new Map<string, HourCapacity>();
  const text = (section["_capacity_add"] ?? "").trim();
  const add = text === "" ? {} : parseJson(text);
  // `[]` is the FT template's "no exceptions".
  if (Array.isArray(add) && add.length === 0) return dates;
  if (typeof add !== "object" || add === null || Array.isArray(add)) {
    refuse(`_capacity_add is not like {"2030-12-24":{"0900":5}}, {} or []`);
  }
  for (const [date, value] of Object.entries(add)) {
    const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
    if (match === null || !isRealDate(Number(match[1]), Number(match[2]), Number(match[3])))
      refuse(`_capacity_add: "${date.slice(0, 16)}" is not a date like 2030-12-24`);
    dates.set(date, parseHourMap(value, `_capacity_add "${date}"`, max));
  }
  return dates;
}

export function parseCapacity(section: Readonly<Record<string, string>>): Parsed<Capacity> {
  return parseSection((notes) => {
    const service = section["_service"]?.trim() ?? "";
    if (service !== "" && service !== "capacity")
      refuse(`its _service is ${service.slice(0, 64)}, not capacity`);
    const max = maxCapacity(section);
    return {
      timezone: sectionZone(section, notes),
      weekly: weeklyCapacity(section, max),
      dates: dateCapacity(section, max),
    };
  });
}

/** Callbacks allowed in the slot that starts at `ms`: the capacity of its local hour. */
export function capacityAt(capacity: Capacity, ms: number): number {
  const t = localTime(ms, capacity.timezone);
  const date = `${String(t.year)}-${String(t.month).padStart(2, "0")}-${String(t.day).padStart(2, "0")}`;
  const hours = capacity.dates.get(date) ?? capacity.weekly.get(t.weekday);
  return hours?.get(t.hour) ?? 0;
}
