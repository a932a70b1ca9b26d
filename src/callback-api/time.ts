// Date handling for the GMS wire format: ISO-8601 UTC `yyyy-MM-ddTHH:mm:ss.SSSZ`.

const ISO_PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})$/;

/** Milliseconds since the epoch, or undefined when the text is not a real ISO-8601 instant. */
export function parseIsoTime(text: string): number | undefined {
  const match = ISO_PATTERN.exec(text);
  if (match === null) return undefined;
  const [, year, month, day, hour, minute, second] = match;
  // Date.parse rolls 2024-02-30 over to March; compare the fields to refuse such dates.
  const fields = [Number(month), Number(day), Number(hour), Number(minute), Number(second ?? 0)];
  const [m, d, h, min, s] = fields as [number, number, number, number, number];
  if (m < 1 || m > 12 || h > 23 || min > 59 || s > 59) return undefined;
  const daysInMonth = new Date(Date.UTC(Number(year), m, 0)).getUTCDate();
  if (d < 1 || d > daysInMonth) return undefined;
  const ms = Date.parse(text.replace(/(\.\d{3})\d+/, "$1"));
  return Number.isFinite(ms) ? ms : undefined;
}

export function formatIsoTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** Start of the bucket holding `ms`; buckets are aligned to the epoch in UTC. */
export function bucketStart(ms: number, bucketMs: number): number {
  return Math.floor(ms / bucketMs) * bucketMs;
}

/** Wall-clock time in `timeZone` as `yyyy-MM-ddTHH:mm:ss.SSS` (no offset), as GMS v2 slots show it. */
export function formatLocalTime(ms: number, timeZone: string): string {
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
  }).formatToParts(new Date(ms));
  const get = (type: string): string => parts.find((p) => p.type === type)?.value ?? "00";
  const millis = String(ms % 1000).padStart(3, "0");
  return `${get("year")}-${get("month")}-${get("day")}T${get("hour")}:${get("minute")}:${get("second")}.${millis}`;
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** UTC calendar day, the unit of the per-number daily throttle. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
