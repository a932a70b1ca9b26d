// A GMS `office-hours` service (gms-reference-2.md §2.1): its section parsed, and when it is open.
// open(t) = (inside an `_effective_dates<n>` range, or none is set) AND NOT a `_holiday<n>` AND
// (a `_bh_regular<n>` range OR a `_bh_add<n>` range holds t), all in the wall time of `_timezone`
// (§2.1 "Evaluation", inferred; a holiday wins over a `_bh_add` on the same date: docs/callback-api.md).
// Pure functions: the server reads the section, these decide.
import {
  addDays,
  instantsAt,
  isKnownZone,
  isRealDate,
  localTime,
  type LocalDate,
} from "./zoned-time.ts";

const DAY_MINUTES = 24 * 60;
const DAY_MS = 86_400_000;
const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;

/** A span of wall-clock minutes; `to` < `from` passes midnight into the next day. */
interface Hours {
  readonly from: number;
  readonly to: number;
}

interface RegularRule extends Hours {
  /** ISO weekdays (1 = Monday) the range starts on. */
  readonly days: ReadonlySet<number>;
}

/** A date with or without a year (`MM-dd` recurs every year). */
interface DateMatch {
  readonly year: number | undefined;
  readonly month: number;
  readonly day: number;
}

interface AddRule extends Hours {
  readonly date: DateMatch;
}

interface DateRange {
  readonly from: number;
  readonly to: number;
}

export interface OfficeHours {
  readonly timezone: string;
  readonly regular: readonly RegularRule[];
  readonly add: readonly AddRule[];
  readonly holidays: readonly DateMatch[];
  /** `yyyymmdd` numbers, inclusive. */
  readonly effective: readonly DateRange[];
}

export type Parsed<T> =
  | { readonly ok: true; readonly value: T; readonly notes: readonly string[] }
  | { readonly ok: false; readonly problem: string };

/** A weekday name (`Mon`, `monday`) as ISO weekday 1-7. */
export function weekdayNumber(text: string): number | undefined {
  const index = WEEKDAYS.indexOf(
    text.trim().slice(0, 3).toLowerCase() as (typeof WEEKDAYS)[number],
  );
  const full = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
  const name = text.trim().toLowerCase();
  if (index < 0 || (name.length > 3 && name !== full[index])) return undefined;
  return index + 1;
}

/** `Mon-Fri`, `Sat-Mon` (wraps the week), `Sun`, or a comma list of those. */
function parseDays(text: string): Set<number> | undefined {
  const days = new Set<number>();
  for (const part of text.split(",")) {
    const [first, last, extra] = part.split("-");
    if (extra !== undefined || first === undefined) return undefined;
    const start = weekdayNumber(first);
    const end = last === undefined ? start : weekdayNumber(last);
    if (start === undefined || end === undefined) return undefined;
    for (let day = start; ; day = (day % 7) + 1) {
      days.add(day);
      if (day === end) break;
    }
  }
  return days;
}

function parseClock(text: string, isEnd: boolean): number | undefined {
  const match = /^(\d{1,2}):(\d{2})$/.exec(text.trim());
  if (match === null) return undefined;
  const [hour, minute] = [Number(match[1]), Number(match[2])];
  if (hour === 24 && minute === 0 && isEnd) return DAY_MINUTES;
  if (hour > 23 || minute > 59) return undefined;
  return hour * 60 + minute;
}

/** `9:00-17:00`, `19:00-7:00` (past midnight), `00:00-24:00` (all day). */
function parseHours(text: string): Hours | undefined {
  const [fromText, toText, extra] = text.split("-");
  if (fromText === undefined || toText === undefined || extra !== undefined) return undefined;
  const from = parseClock(fromText, false);
  const to = parseClock(toText, true);
  if (from === undefined || to === undefined || from === to) return undefined;
  return { from, to: to === DAY_MINUTES && from === 0 ? DAY_MINUTES : to % DAY_MINUTES };
}

/** `yyyy-MM-dd`, or `MM-dd` when `yearOptional`. */
function parseDate(text: string, yearOptional: boolean): DateMatch | undefined {
  const match = /^(?:(\d{4})-)?(\d{2})-(\d{2})$/.exec(text.trim());
  if (match === null || (match[1] === undefined && !yearOptional)) return undefined;
  const year = match[1] === undefined ? undefined : Number(match[1]);
  const [month, day] = [Number(match[2]), Number(match[3])];
  // A recurring date is checked against a leap year, so 02-29 is allowed.
  return isRealDate(year ?? 2000, month, day) ? { year, month, day } : undefined;
}

const dateNumber = (d: LocalDate): number => d.year * 10_000 + d.month * 100 + d.day;

/** Options of the section numbered like `_bh_regular1`, `_bh_regular2`, in number order. */
function numbered(section: Readonly<Record<string, string>>, prefix: string): [string, string][] {
  const pattern = new RegExp(`^${prefix}(\\d*)$`);
  return Object.keys(section)
    .filter((key) => pattern.test(key) && (section[key] ?? "").trim() !== "")
    .sort((a, b) => Number(a.slice(prefix.length) || 0) - Number(b.slice(prefix.length) || 0))
    .map((key) => [key, (section[key] ?? "").trim()]);
}

/** Options that change office hours in ways the reference does not give (§2.1 [UNCONFIRMED]). */
const UNSUPPORTED = /^_(use_alternative|include)/;

/** A section entry that does not parse; the whole section is refused with it. */
class SectionProblem extends Error {}

/** Runs a section parser, turning its first problem into a refusal. */
export function parseSection<T>(parse: (notes: string[]) => T): Parsed<T> {
  const notes: string[] = [];
  try {
    return { ok: true, value: parse(notes), notes };
  } catch (error) {
    if (error instanceof SectionProblem) return { ok: false, problem: error.message };
    throw error;
  }
}

export function refuse(problem: string): never {
  throw new SectionProblem(problem);
}

/** A section's `_timezone`: a zone id Intl knows; UTC (noted) when not set. */
export function sectionZone(section: Readonly<Record<string, string>>, notes: string[]): string {
  const zone = section["_timezone"]?.trim() ?? "";
  const fix = "use a zone id such as America/Toronto or Europe/Paris";
  if (zone === "") {
    notes.push("_timezone is not set; using UTC");
    return "UTC";
  }
  // GMS asks for Java zone ids; abbreviations such as EST are ambiguous or fixed offsets.
  if (/^[A-Z]{3,4}$/.test(zone) && zone !== "UTC")
    refuse(`_timezone=${zone} is an abbreviation: ${fix}`);
  if (!isKnownZone(zone)) refuse(`_timezone=${zone.slice(0, 64)} is not a known time zone: ${fix}`);
  return zone;
}

/** Each numbered entry parsed; one that does not parse refuses the section, citing `example`. */
function entries<T>(
  section: Readonly<Record<string, string>>,
  prefix: string,
  example: string,
  parse: (value: string) => T | undefined,
): T[] {
  return numbered(section, prefix).map(([key, value]) => {
    const parsed = parse(value);
    return parsed ?? refuse(`${key}=${value.slice(0, 64)} is not like ${example}`);
  });
}

/** `<first> <hours>`: a day part or a date, then an hour range. */
function withHours<T>(
  value: string,
  first: (text: string) => T | undefined,
): (T & Hours) | undefined {
  // Spaces around `-` and `,` (`Mon - Fri 9:00 - 17:00`) are layout, not syntax.
  const match = /^(\S+)\s+(\S+)$/.exec(value.replace(/\s*([-,])\s*/g, "$1"));
  const head = match?.[1] === undefined ? undefined : first(match[1]);
  const hours = match?.[2] === undefined ? undefined : parseHours(match[2]);
  return head === undefined || hours === undefined ? undefined : { ...head, ...hours };
}

function parseRange(value: string): DateRange | undefined {
  const [fromText = "", toText, extra] = value.split(/\s+to\s+/);
  const from = parseDate(fromText, false);
  const to = toText === undefined ? from : parseDate(toText, false);
  if (from === undefined || to === undefined || extra !== undefined) return undefined;
  const range = { from: dateNumber(from as LocalDate), to: dateNumber(to as LocalDate) };
  return range.to < range.from
    ? refuse(`_effective_dates ${value.slice(0, 64)} ends before it starts`)
    : range;
}

/**
 * The office hours an `office-hours` section defines. Every entry must parse: one that does not
 * would leave the office open or closed at times its owner did not mean, so the whole section is
 * refused, naming the entry.
 */
export function parseOfficeHours(section: Readonly<Record<string, string>>): Parsed<OfficeHours> {
  return parseSection((notes) => {
    const service = section["_service"]?.trim() ?? "";
    if (service !== "" && service !== "office-hours")
      refuse(`its _service is ${service.slice(0, 64)}, not office-hours`);
    const unsupported = Object.keys(section).filter((key) => UNSUPPORTED.test(key));
    if (unsupported.length > 0) {
      refuse(
        `${unsupported.join(", ")} is not supported (its GMS meaning is not documented): remove it and write the hours with _bh_regular<n>, _bh_add<n>, _holiday<n>, _effective_dates<n>`,
      );
    }
    return {
      timezone: sectionZone(section, notes),
      regular: entries(section, "_bh_regular", "Mon-Fri 9:00-17:00", (value) =>
        withHours(value, (text) => {
          const days = parseDays(text);
          return days === undefined ? undefined : { days };
        }),
      ),
      add: entries(section, "_bh_add", "2030-12-24 9:00-12:00 or 12-24 9:00-12:00", (value) =>
        withHours(value, (text) => {
          const date = parseDate(text, true);
          return date === undefined ? undefined : { date };
        }),
      ),
      holidays: entries(section, "_holiday", "2030-07-15 or 12-25", (value) =>
        parseDate(value, true),
      ),
      effective: entries(
        section,
        "_effective_dates",
        "2030-01-01 or 2030-01-01 to 2030-06-30",
        parseRange,
      ),
    };
  });
}

function matchesDate(match: DateMatch, date: LocalDate): boolean {
  return (
    match.month === date.month &&
    match.day === date.day &&
    (match.year === undefined || match.year === date.year)
  );
}

/** Does a range that starts on a day (`startsToday`) or the day before hold `minute`? */
function holds(
  hours: Hours,
  minute: number,
  startsToday: boolean,
  startedYesterday: boolean,
): boolean {
  if (hours.from < hours.to) return startsToday && minute >= hours.from && minute < hours.to;
  return (startsToday && minute >= hours.from) || (startedYesterday && minute < hours.to);
}

export function isOpen(hours: OfficeHours, ms: number): boolean {
  const t = localTime(ms, hours.timezone);
  const date: LocalDate = t;
  const day = dateNumber(date);
  if (hours.effective.length > 0 && !hours.effective.some((r) => day >= r.from && day <= r.to))
    return false;
  if (hours.holidays.some((h) => matchesDate(h, date))) return false;
  const minute = t.hour * 60 + t.minute + t.second / 60;
  const yesterday = addDays(t.year, t.month, t.day, -1);
  const previousWeekday = ((t.weekday + 5) % 7) + 1;
  return (
    hours.regular.some((r) =>
      holds(r, minute, r.days.has(t.weekday), r.days.has(previousWeekday)),
    ) ||
    hours.add.some((a) =>
      holds(a, minute, matchesDate(a.date, date), matchesDate(a.date, yesterday)),
    )
  );
}

export interface Period {
  readonly start: number;
  readonly end: number;
}

/**
 * The open periods within [from, to), merged, as UTC instants. Between two consecutive instants at
 * which the local clock passes a rule's boundary (or midnight, or the zone changes offset) open(t)
 * cannot change, so open() at each such instant decides the span after it.
 */
export function openPeriods(hours: OfficeHours, from: number, to: number): Period[] {
  if (to <= from) return [];
  const minutes = new Set<number>([0]);
  for (const rule of [...hours.regular, ...hours.add]) {
    minutes.add(rule.from);
    minutes.add(rule.to % DAY_MINUTES);
  }
  const boundaries = new Set<number>([from]);
  const first = localTime(from - DAY_MS, hours.timezone);
  const last = localTime(to + DAY_MS, hours.timezone);
  const lastDay = Date.UTC(last.year, last.month - 1, last.day);
  for (let day = Date.UTC(first.year, first.month - 1, first.day); day <= lastDay; day += DAY_MS) {
    for (const minute of minutes) {
      for (const instant of instantsAt(day + minute * 60_000, hours.timezone)) {
        if (instant > from && instant < to) boundaries.add(instant);
      }
    }
  }
  const sorted = [...boundaries].sort((a, b) => a - b);
  const periods: { start: number; end: number }[] = [];
  sorted.forEach((start, i) => {
    const end = sorted[i + 1] ?? to;
    if (!isOpen(hours, start)) return;
    const previous = periods.at(-1);
    if (previous?.end === start) previous.end = end;
    else periods.push({ start, end });
  });
  return periods;
}

/** The first instant at or after `ms` when the office is open, within a year; undefined if never. */
export function nextOpen(hours: OfficeHours, ms: number): number | undefined {
  for (let from = ms; from < ms + 366 * DAY_MS; from += 7 * DAY_MS) {
    const found = openPeriods(hours, from, from + 7 * DAY_MS)[0];
    if (found !== undefined) return found.start;
  }
  return undefined;
}
