// The capacity service as GMS documents it (gms-reference-2.md §3: GMS Capacity API 8.5.1/8.5.2,
// Help "Capacity", and the [service.Capacity] section of Genesys' functional tests ServiceOptions).
import { describe, expect, it } from "vitest";
import { capacityAt, parseCapacity, type Capacity } from "./capacity.ts";

const at = (iso: string): number => Date.parse(iso);

/** The FT section, as GMS's functional tests write it. */
const FT_SECTION = {
  _capacity: "[Mon, Tue, Wed, Thu, Fri, Sat, Sun]",
  _capacity_1: '{"1":{"0000":1,"0100":3}}',
  _capacity_3: '{"3":{"1000":6,"1100":6,"0900":6}}',
  _capacity_7: '{"7":{"0000":1,"0100":3}}',
  _capacity_add: "[]",
  _service: "capacity",
  _timezone: "UTC",
  _type: "builtin",
};

function capacity(section: Record<string, string>): Capacity {
  const parsed = parseCapacity(section);
  if (!parsed.ok) throw new Error(parsed.problem);
  return parsed.value;
}

describe("capacity service (§3)", () => {
  it("reads the FT section: per weekday, per hourly slot; an hour left out holds 0", () => {
    const c = capacity(FT_SECTION);
    expect(capacityAt(c, at("2030-03-04T00:30:00Z"))).toBe(1); // Mon 00:xx
    expect(capacityAt(c, at("2030-03-04T01:55:00Z"))).toBe(3); // Mon 01:xx
    expect(capacityAt(c, at("2030-03-04T02:00:00Z"))).toBe(0); // Mon 02:xx not listed
    expect(capacityAt(c, at("2030-03-06T10:15:00Z"))).toBe(6); // Wed
    expect(capacityAt(c, at("2030-03-05T10:15:00Z"))).toBe(0); // Tue: no _capacity_2
    expect(capacityAt(c, at("2030-03-10T01:00:00Z"))).toBe(3); // Sun
  });

  it("reads slot keys in _timezone's wall time", () => {
    const c = capacity({ ...FT_SECTION, _timezone: "America/Toronto" });
    // Wed 10:00 in Toronto (EST, -5) is 15:00Z.
    expect(capacityAt(c, at("2030-03-06T15:00:00Z"))).toBe(6);
    expect(capacityAt(c, at("2030-03-06T10:00:00Z"))).toBe(0);
  });

  it("numbers _capacity_<d> in the order _capacity lists the weekdays", () => {
    const c = capacity({ _capacity: "[Sat, Sun]", _capacity_2: '{"2":{"0900":4}}' });
    expect(capacityAt(c, at("2030-03-10T09:00:00Z"))).toBe(4); // Sunday
    expect(capacityAt(c, at("2030-03-04T09:00:00Z"))).toBe(0); // Monday: not in use
  });

  it("accepts a slot up to _max_capacity, above the default 1000 when raised", () => {
    const c = capacity({
      ...FT_SECTION,
      _max_capacity: "1500",
      _capacity_2: '{"2":{"0900":1500}}',
    });
    expect(capacityAt(c, at("2030-03-05T09:00:00Z"))).toBe(1500);
  });

  it("lets a _capacity_add date replace its weekday (format ours: docs/callback-api.md)", () => {
    const c = capacity({ ...FT_SECTION, _capacity_add: '{"2030-03-06":{"1000":2}}' });
    expect(capacityAt(c, at("2030-03-06T10:00:00Z"))).toBe(2);
    expect(capacityAt(c, at("2030-03-06T11:00:00Z"))).toBe(0);
    expect(capacityAt(c, at("2030-03-13T11:00:00Z"))).toBe(6);
  });

  it.each([
    [{ _capacity_1: '{"1":{"0900":1001}}' }, "more than the maximum capacity 1000"],
    // _max_capacity (GMS capacity option, default 1000): "If a user tries to assign a capacity
    // higher than the maximum capacity allowed, GMS throws the CapacityException error message."
    [{ _max_capacity: "20", _capacity_1: '{"1":{"0900":21}}' }, "maximum capacity 20"],
    [{ _max_capacity: "20", _capacity_add: '{"2030-03-06":{"1000":30}}' }, "maximum capacity 20"],
    [{ _max_capacity: "lots" }, "_max_capacity=lots is not a whole number"],
    [{ _capacity_1: '{"1":{"0930":1}}' }, '"0930" is not an hour like "0900"'],
    [{ _capacity_1: '{"1":{"0900":-1}}' }, "not a whole number"],
    [{ _capacity_1: '{"2":{"0900":1}}' }, '_capacity_1 (expected {"1":'],
    [{ _capacity: "[Mon]", _capacity_2: '{"2":{}}' }, "no weekday 2"],
    [{ _capacity: "[Mon, Funday]" }, "Funday is not a weekday"],
    [{ _capacity_add: '{"2030-02-30":{}}' }, "not a date like"],
    [{ _capacity_add: '["x"]' }, "_capacity_add is not like"],
    [{ _timezone: "PST" }, "_timezone=PST is an abbreviation"],
    [{ _service: "office-hours" }, "not capacity"],
  ])("refuses %j", (section, text) => {
    const parsed = parseCapacity(section);
    expect(parsed.ok ? "accepted" : parsed.problem).toContain(text);
  });
});
