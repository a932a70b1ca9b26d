// Wall-clock time in an IANA zone with Intl only (no Temporal, no tz library): the local fields of
// an instant, and the instants at which a zone's clocks show a given wall time. Office hours and
// capacity slots are written in wall time; across a DST change a wall time may happen twice (clocks
// go back) or never (clocks go forward), and the callers need both cases right.

const DAY_MS = 86_400_000;

/** Local date and time; `weekday` 1 = Monday … 7 = Sunday (ISO, as GMS's `_capacity_<d>`). */
export interface LocalTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly weekday: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let found = formatters.get(zone);
  if (found === undefined) {
    found = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
      hourCycle: "h23",
    });
    formatters.set(zone, found);
  }
  return found;
}

/** `zone` names a zone Intl knows (an IANA id such as Europe/Paris, or UTC). */
export function isKnownZone(zone: string): boolean {
  try {
    formatter(zone);
    return true;
  } catch {
    return false;
  }
}

export function localTime(ms: number, zone: string): LocalTime {
  const fields: Record<string, number> = {};
  for (const part of formatter(zone).formatToParts(new Date(ms))) {
    if (part.type !== "literal") fields[part.type] = Number(part.value);
  }
  const year = fields["year"] ?? 1970;
  const month = fields["month"] ?? 1;
  const day = fields["day"] ?? 1;
  const weekday = ((new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 6) % 7) + 1;
  return {
    year,
    month,
    day,
    hour: fields["hour"] ?? 0,
    minute: fields["minute"] ?? 0,
    second: fields["second"] ?? 0,
    weekday,
  };
}

/** The wall time of `ms` in `zone`, written as if it were UTC: local minus UTC is the offset. */
function wallMs(ms: number, zone: string): number {
  const t = localTime(ms, zone);
  return (
    Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second) + (((ms % 1000) + 1000) % 1000)
  );
}

function offsetMs(ms: number, zone: string): number {
  return wallMs(ms, zone) - ms;
}

/**
 * Every instant at which clocks in `zone` show `wall` (a wall time written as UTC ms), and the
 * instant of a zone change within a day of it. No instant when the wall time falls in a gap; two
 * when it falls in an overlap. Zones change offset at most once in two days.
 */
export function instantsAt(wall: number, zone: string): number[] {
  const before = offsetMs(wall - DAY_MS, zone);
  const after = offsetMs(wall + DAY_MS, zone);
  const found = new Set<number>();
  for (const offset of [before, after]) {
    const candidate = wall - offset;
    if (wallMs(candidate, zone) === wall) found.add(candidate);
  }
  if (before !== after) {
    // The change itself: the first instant with the new offset.
    let [lo, hi] = [wall - DAY_MS, wall + DAY_MS];
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (offsetMs(mid, zone) === before) lo = mid;
      else hi = mid;
    }
    found.add(hi);
  }
  return [...found].sort((a, b) => a - b);
}

/** Calendar arithmetic on local dates, in UTC so that no zone interferes. */
export function addDays(year: number, month: number, day: number, days: number): LocalDate {
  const d = new Date(Date.UTC(year, month - 1, day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

export interface LocalDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

export function isRealDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}
