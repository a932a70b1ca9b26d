// Office hours as GMS's office-hours service defines them (gms-reference-2.md §2.1, from the GMS
// Options page "GMSServices-office-hours" and Genesys' functional tests ServiceOptions /
// CallbackAPITests), including DST changes in Europe/Paris and America/Toronto.
import { describe, expect, it } from "vitest";
import {
  isOpen,
  nextOpen,
  openPeriods,
  parseOfficeHours,
  type OfficeHours,
} from "./office-hours.ts";
import { instantsAt } from "./zoned-time.ts";

const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number): string => new Date(ms).toISOString();

function hours(section: Record<string, string>): OfficeHours {
  const parsed = parseOfficeHours(section);
  if (!parsed.ok) throw new Error(parsed.problem);
  return parsed.value;
}

function problem(section: Record<string, string>): string {
  const parsed = parseOfficeHours(section);
  if (parsed.ok) throw new Error(`accepted ${JSON.stringify(section)}`);
  return parsed.problem;
}

describe("office-hours section (GMSServices-office-hours options, §2.1)", () => {
  it("reads the FT fixture Mon-Sun 00:00-24:00 as always open (ServiceOptions)", () => {
    const h = hours({
      _type: "builtin",
      _service: "office-hours",
      _timezone: "UTC",
      _bh_regular1: "Mon-Sun 00:00-24:00",
    });
    for (const t of ["2030-03-04T00:00:00Z", "2030-03-09T23:59:59Z", "2030-03-10T12:00:00Z"])
      expect(isOpen(h, at(t)), t).toBe(true);
    expect(openPeriods(h, at("2030-03-04T00:00:00Z"), at("2030-03-11T00:00:00Z"))).toEqual([
      { start: at("2030-03-04T00:00:00Z"), end: at("2030-03-11T00:00:00Z") },
    ]);
  });

  it.each([
    [{ _timezone: "EST" }, "_timezone=EST is an abbreviation"],
    [{ _timezone: "Mars/Olympus" }, "_timezone=Mars/Olympus is not a known time zone"],
    [{ _bh_regular1: "Mon-Fri 9:00" }, "_bh_regular1=Mon-Fri 9:00 is not like Mon-Fri 9:00-17:00"],
    [{ _bh_regular2: "Mun-Fri 9:00-17:00" }, "_bh_regular2="],
    [{ _bh_regular1: "Mon 9:00-9:00" }, "_bh_regular1="],
    [{ _bh_regular1: "Mon 24:00-9:00" }, "_bh_regular1="],
    [{ _bh_regular1: "Mon 9:60-10:00" }, "_bh_regular1="],
    [{ _bh_add1: "2030-02-30 9:00-12:00" }, "_bh_add1="],
    [{ _holiday1: "2030-13-01" }, "_holiday1=2030-13-01 is not like"],
    [{ _effective_dates1: "2030-06-30 to 2030-01-01" }, "ends before it starts"],
    [{ _effective_dates1: "06-30" }, "_effective_dates1=06-30 is not like"],
    [{ _use_alternative1: "x" }, "_use_alternative1 is not supported"],
    [{ _service: "capacity" }, "its _service is capacity, not office-hours"],
  ])("refuses %j, naming the entry", (section, text) => {
    expect(problem(section)).toContain(text);
  });

  it("takes spaces around - and , as layout (Mon - Fri 9:00 - 17:00)", () => {
    const h = hours({ _timezone: "UTC", _bh_regular1: "Mon - Wed, Fri  9:00 - 17:00" });
    expect(isOpen(h, at("2030-03-06T10:00:00Z"))).toBe(true); // Wed
    expect(isOpen(h, at("2030-03-07T10:00:00Z"))).toBe(false); // Thu
    expect(isOpen(h, at("2030-03-08T10:00:00Z"))).toBe(true); // Fri
  });

  it("notes a missing _timezone and uses UTC", () => {
    const parsed = parseOfficeHours({ _bh_regular1: "Mon-Fri 9:00-17:00" });
    expect(parsed.ok && parsed.notes).toEqual(["_timezone is not set; using UTC"]);
    expect(parsed.ok && parsed.value.timezone).toBe("UTC");
  });
});

describe("open(t) in wall time of _timezone (§2.1 evaluation)", () => {
  const paris = hours({ _timezone: "Europe/Paris", _bh_regular1: "Mon-Fri 9:00-17:00" });

  it.each([
    // Winter, UTC+1.
    ["2030-03-04T07:59:59Z", false],
    ["2030-03-04T08:00:00Z", true],
    ["2030-03-04T15:59:00Z", true],
    ["2030-03-04T16:00:00Z", false],
    // Summer, UTC+2: the same wall hours, an hour earlier in UTC.
    ["2030-07-01T07:00:00Z", true],
    ["2030-07-01T14:59:00Z", true],
    ["2030-07-01T15:00:00Z", false],
    // Saturday.
    ["2030-03-09T10:00:00Z", false],
  ])("Mon-Fri 9:00-17:00 Europe/Paris at %s: %s", (t, open) => {
    expect(isOpen(paris, at(t))).toBe(open);
  });

  it("wraps a day range over the week end (Sat-Mon = Sat, Sun, Mon)", () => {
    const h = hours({ _timezone: "UTC", _bh_regular1: "Sat-Mon 10:00-12:00" });
    expect(isOpen(h, at("2030-03-09T11:00:00Z"))).toBe(true); // Sat
    expect(isOpen(h, at("2030-03-10T11:00:00Z"))).toBe(true); // Sun
    expect(isOpen(h, at("2030-03-11T11:00:00Z"))).toBe(true); // Mon
    expect(isOpen(h, at("2030-03-12T11:00:00Z"))).toBe(false); // Tue
  });

  it("runs an hour range past midnight into the next day (19:00-7:00)", () => {
    const h = hours({ _timezone: "UTC", _bh_regular1: "Fri 19:00-7:00" });
    expect(isOpen(h, at("2030-03-08T18:59:00Z"))).toBe(false);
    expect(isOpen(h, at("2030-03-08T19:00:00Z"))).toBe(true);
    expect(isOpen(h, at("2030-03-09T03:00:00Z"))).toBe(true); // Saturday morning
    expect(isOpen(h, at("2030-03-09T07:00:00Z"))).toBe(false);
    expect(isOpen(h, at("2030-03-07T03:00:00Z"))).toBe(false); // Thursday night is not Friday's
  });

  it("accepts 24:00 as the end of the day", () => {
    const h = hours({ _timezone: "UTC", _bh_regular1: "Mon 9:00-24:00" });
    expect(isOpen(h, at("2030-03-04T23:59:59Z"))).toBe(true);
    expect(isOpen(h, at("2030-03-05T00:00:00Z"))).toBe(false);
  });

  it("opens on _bh_add dates, with a year or every year", () => {
    const h = hours({
      _timezone: "UTC",
      _bh_regular1: "Mon-Fri 9:00-17:00",
      _bh_add1: "2030-03-09 10:00-12:00",
      _bh_add2: "12-24 8:00-10:00",
    });
    expect(isOpen(h, at("2030-03-09T11:00:00Z"))).toBe(true);
    expect(isOpen(h, at("2031-03-09T11:00:00Z"))).toBe(false);
    expect(isOpen(h, at("2033-12-24T09:00:00Z"))).toBe(true); // a Saturday
    expect(isOpen(h, at("2033-12-24T10:00:00Z"))).toBe(false);
  });

  it("closes on a _holiday (FT value 2020-07-15), also over a _bh_add that day", () => {
    const h = hours({
      _timezone: "UTC",
      _bh_regular1: "Mon-Fri 9:00-17:00",
      _holiday1: "2030-07-15",
      _bh_add1: "2030-07-15 9:00-10:00",
      _holiday2: "12-25",
    });
    expect(isOpen(h, at("2030-07-15T09:30:00Z"))).toBe(false);
    expect(isOpen(h, at("2030-07-16T09:30:00Z"))).toBe(true);
    expect(isOpen(h, at("2030-12-25T10:00:00Z"))).toBe(false);
  });

  it("is closed outside the _effective_dates ranges once one is set", () => {
    const h = hours({
      _timezone: "UTC",
      _bh_regular1: "Mon-Sun 00:00-24:00",
      _effective_dates1: "2030-03-04 to 2030-03-06",
      _effective_dates2: "2030-04-01",
    });
    expect(isOpen(h, at("2030-03-03T23:59:00Z"))).toBe(false);
    expect(isOpen(h, at("2030-03-04T00:00:00Z"))).toBe(true);
    expect(isOpen(h, at("2030-03-06T23:59:00Z"))).toBe(true);
    expect(isOpen(h, at("2030-03-07T00:00:00Z"))).toBe(false);
    expect(isOpen(h, at("2030-04-01T12:00:00Z"))).toBe(true);
  });

  it("finds the next opening after a weekend (Europe/Paris)", () => {
    expect(iso(nextOpen(paris, at("2030-03-08T17:00:00Z")) ?? 0)).toBe("2030-03-11T08:00:00.000Z");
    expect(nextOpen(paris, at("2030-03-05T10:00:00Z"))).toBe(at("2030-03-05T10:00:00Z"));
    expect(nextOpen(hours({ _timezone: "UTC" }), at("2030-03-05T10:00:00Z"))).toBeUndefined();
  });
});

describe("DST changes: wall-clock hours stay wall-clock hours", () => {
  it("Europe/Paris spring forward (2030-03-31 02:00 -> 03:00): a night range loses an hour", () => {
    const h = hours({ _timezone: "Europe/Paris", _bh_regular1: "Sun 01:00-04:00" });
    expect(openPeriods(h, at("2030-03-30T00:00:00Z"), at("2030-04-01T00:00:00Z"))).toEqual([
      { start: at("2030-03-31T00:00:00Z"), end: at("2030-03-31T02:00:00Z") },
    ]);
  });

  it("Europe/Paris spring forward: a range starting in the gap opens at the change", () => {
    const h = hours({ _timezone: "Europe/Paris", _bh_regular1: "Sun 02:30-05:00" });
    expect(openPeriods(h, at("2030-03-30T00:00:00Z"), at("2030-04-01T00:00:00Z"))).toEqual([
      { start: at("2030-03-31T01:00:00Z"), end: at("2030-03-31T03:00:00Z") },
    ]);
    expect(instantsAt(Date.UTC(2030, 2, 31, 2, 30), "Europe/Paris")).toEqual([
      at("2030-03-31T01:00:00Z"),
    ]);
  });

  it("Europe/Paris fall back (2030-10-27 03:00 -> 02:00): 02:00-02:30 happens twice", () => {
    const h = hours({ _timezone: "Europe/Paris", _bh_regular1: "Sun 02:00-02:30" });
    expect(openPeriods(h, at("2030-10-26T00:00:00Z"), at("2030-10-28T00:00:00Z"))).toEqual([
      { start: at("2030-10-27T00:00:00Z"), end: at("2030-10-27T00:30:00Z") },
      { start: at("2030-10-27T01:00:00Z"), end: at("2030-10-27T01:30:00Z") },
    ]);
  });

  it("America/Toronto: 9:00-17:00 is 14:00-22:00Z in EST and 13:00-21:00Z in EDT", () => {
    const h = hours({ _timezone: "America/Toronto", _bh_regular1: "Sun 9:00-17:00" });
    expect(openPeriods(h, at("2030-03-03T00:00:00Z"), at("2030-03-11T00:00:00Z"))).toEqual([
      { start: at("2030-03-03T14:00:00Z"), end: at("2030-03-03T22:00:00Z") },
      { start: at("2030-03-10T13:00:00Z"), end: at("2030-03-10T21:00:00Z") },
    ]);
  });

  it("America/Toronto fall back (2030-11-03 02:00 EDT -> 01:00 EST): a night range gains an hour", () => {
    const h = hours({ _timezone: "America/Toronto", _bh_regular1: "Sat 22:00-4:00" });
    const periods = openPeriods(h, at("2030-11-02T00:00:00Z"), at("2030-11-04T00:00:00Z"));
    // Sat 22:00 EDT = 02:00Z; Sun 04:00 EST = 09:00Z: seven hours, not six.
    expect(periods).toEqual([
      { start: at("2030-11-03T02:00:00Z"), end: at("2030-11-03T09:00:00Z") },
    ]);
  });

  it("agrees with open(t) sampled every 10 minutes over both Paris changes", () => {
    const h = hours({
      _timezone: "Europe/Paris",
      _bh_regular1: "Sat-Mon 19:00-2:30",
      _bh_regular2: "Tue-Fri 9:00-17:00",
      _bh_add1: "03-31 02:15-03:45",
    });
    for (const [from, to] of [
      [at("2030-03-28T00:00:00Z"), at("2030-04-03T00:00:00Z")],
      [at("2030-10-24T00:00:00Z"), at("2030-10-30T00:00:00Z")],
    ] as const) {
      const periods = openPeriods(h, from, to);
      for (let t = from; t < to; t += 600_000) {
        const inPeriod = periods.some((p) => p.start <= t && t < p.end);
        expect(inPeriod, iso(t)).toBe(isOpen(h, t));
      }
    }
  });
});
