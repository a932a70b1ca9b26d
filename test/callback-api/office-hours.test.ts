// Office hours and capacity as GMS services in the Callback API: `_business_hours_service` ("The
// Request Desired Time is verified against the defined regular and specific calendar hours", GMS
// Callback Services API), `_enable_reject_out_of_office_hours` (Callback Queue Management),
// `_capacity_service` ("Agent availability is verified against the defined capacity", GMS Capacity
// API: capacity applies to each `_request_time_bucket` slot), availability slots inside office
// hours, and the Calendar Service API and Capacity API (gms-reference-2.md §2.2, §2.3, §3).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, openStore, type TestStore } from "./support/databases.ts";
import { GMS, PERMISSIVE, START, makeApp, type TestApp } from "./support/app.ts";

const T0 = Date.parse(START); // Monday 2030-03-04 10:00Z = 11:00 in Paris (CET, UTC+1).
const HOUR = 3_600_000;
const iso = (ms: number): string => new Date(ms).toISOString();
const at = (text: string): number => Date.parse(text);

/** Paris office: weekdays 9:00-17:00 local (08:00-16:00Z in March), closed Wednesday 6 March. */
const OFFICE = {
  _type: "builtin",
  _service: "office-hours",
  _timezone: "Europe/Paris",
  _bh_regular1: "Mon-Fri 9:00-17:00",
  _holiday1: "2030-03-06",
};

/** Tuesday only: 2 callbacks per slot at 9:00 Paris, none at 10:00, 1 at 11:00. */
const CAPACITY = {
  _type: "builtin",
  _service: "capacity",
  _timezone: "Europe/Paris",
  _capacity: "[Mon, Tue, Wed, Thu, Fri, Sat, Sun]",
  _capacity_2: '{"2":{"0900":2,"1000":0,"1100":1}}',
  _capacity_add: "{}",
};

const HOURS_OPTIONS = {
  ...PERMISSIVE,
  _business_hours_service: "paris-office",
  _request_time_bucket: "60",
};

async function start(a: TestApp, payload: Record<string, string>) {
  return a.app.inject({ method: "POST", url: a.base, payload });
}

interface ErrorBody {
  exception: string;
  message: string;
  availability?: Record<string, number>;
}

describe.each(BACKENDS)("office hours and capacity services on %s", (backend) => {
  let t: TestStore;
  beforeAll(async () => {
    t = await openStore(backend);
  });
  afterAll(async () => {
    await t.close();
  });

  it("refuses a scheduled _desired_time outside office hours with the next open time and in-hours slots (Callback Services API: desired time verified)", async () => {
    const a = await makeApp(t.store, HOURS_OPTIONS, { sections: { "paris-office": OFFICE } });
    const evening = await start(a, {
      _customer_number: "5101",
      _desired_time: "2030-03-04T17:00:00Z",
    });
    expect(evening.statusCode).toBe(400);
    const body = evening.json<ErrorBody>();
    expect(body.exception).toBe(`${GMS}.CallbackExceptionOutOfOfficeHours`);
    expect(body.message).toContain(
      "_desired_time 2030-03-04T17:00:00.000Z is outside office hours",
    );
    expect(body.message).toContain("it next opens at 2030-03-05T08:00:00.000Z");
    const proposed = Object.keys(body.availability ?? {});
    expect(proposed).toHaveLength(10);
    for (const slot of proposed) {
      const hour = new Date(slot).getUTCHours();
      expect(hour >= 8 && hour < 16, slot).toBe(true);
    }
    // The holiday: closed all day, open again on Thursday.
    const holiday = await start(a, {
      _customer_number: "5102",
      _desired_time: "2030-03-06T10:00:00Z",
    });
    expect(holiday.json<ErrorBody>().message).toContain(
      "it next opens at 2030-03-07T08:00:00.000Z",
    );
    const inHours = await start(a, {
      _customer_number: "5103",
      _desired_time: "2030-03-05T09:30:00Z",
    });
    expect(inHours.statusCode).toBe(200);
  });

  it("refuses immediate starts while closed only with _enable_reject_out_of_office_hours=true (Callback Queue Management)", async () => {
    const clockAt = (text: string) => {
      a.clock.advance(at(text) - a.clock.now());
    };
    const a = await makeApp(t.store, HOURS_OPTIONS, { sections: { "paris-office": OFFICE } });
    clockAt("2030-03-04T18:00:00Z");
    expect((await start(a, { _customer_number: "5201" })).statusCode).toBe(200);
    await a.setOptions({ ...HOURS_OPTIONS, _enable_reject_out_of_office_hours: "true" });
    const closed = await start(a, { _customer_number: "5202" });
    expect(closed.statusCode).toBe(400);
    expect(closed.json<ErrorBody>()).toMatchObject({
      exception: `${GMS}.CallbackExceptionOutOfOfficeHours`,
      message: expect.stringContaining("it next opens at 2030-03-05T08:00:00.000Z") as unknown,
    });
    expect(closed.json<ErrorBody>().message).toContain("_enable_reject_out_of_office_hours");
    clockAt("2030-03-05T08:00:00Z");
    expect((await start(a, { _customer_number: "5203" })).statusCode).toBe(200);
  });

  it("offers availability v1 and v2 slots only inside office hours (gms-reference-2.md §2.3)", async () => {
    const a = await makeApp(t.store, HOURS_OPTIONS, { sections: { "paris-office": OFFICE } });
    const v2 = await a.app.inject({
      url: `/genesys/2/service/callback/${a.serviceName}/availability?start-ms=${at("2030-03-04T00:00:00Z")}&end-ms=${at("2030-03-08T00:00:00Z")}&timezone=Europe/Paris&report-busy=true`,
    });
    expect(v2.statusCode).toBe(200);
    const slots = v2.json<{ slots: { utcTime: string; localTime: string; total: number }[] }>()
      .slots;
    // Monday from now (10:00Z), Tuesday and Thursday 08:00-15:00Z, no Wednesday (a holiday).
    expect(slots.map((s) => s.utcTime)).toEqual([
      ...[10, 11, 12, 13, 14, 15].map((h) => iso(Date.UTC(2030, 2, 4, h))),
      ...[8, 9, 10, 11, 12, 13, 14, 15].map((h) => iso(Date.UTC(2030, 2, 5, h))),
      ...[8, 9, 10, 11, 12, 13, 14, 15].map((h) => iso(Date.UTC(2030, 2, 7, h))),
    ]);
    expect(slots[0]?.localTime).toBe("2030-03-04T11:00:00.000");
    expect(new Set(slots.map((s) => s.total))).toEqual(new Set([100]));
    const v1 = await a.app.inject({
      url: `${a.base}/availability?start=2030-03-05T00:00:00Z&end=2030-03-05T23:00:00Z`,
    });
    expect(Object.keys(v1.json<object>())).toEqual(
      [8, 9, 10, 11, 12, 13, 14, 15].map((h) => iso(Date.UTC(2030, 2, 5, h))),
    );
  });

  it("limits each slot to its capacity instead of _max_request_by_time_bucket (Capacity API: per _request_time_bucket slot)", async () => {
    const a = await makeApp(
      t.store,
      {
        ...HOURS_OPTIONS,
        _capacity_service: "tuesday-capacity",
        _max_request_by_time_bucket: "50",
      },
      { sections: { "paris-office": OFFICE, "tuesday-capacity": CAPACITY } },
    );
    const v2 = await a.app.inject({
      url: `/genesys/2/service/callback/${a.serviceName}/availability?start-ms=${at("2030-03-05T00:00:00Z")}&end-ms=${at("2030-03-05T23:00:00Z")}&report-busy=true`,
    });
    expect(v2.json<{ slots: { total: number }[] }>().slots.map((s) => s.total)).toEqual([
      2, 0, 1, 0, 0, 0, 0, 0,
    ]);
    for (const number of ["5301", "5302"]) {
      const res = await start(a, {
        _customer_number: number,
        _desired_time: "2030-03-05T08:30:00Z",
      });
      expect(res.statusCode).toBe(200);
    }
    const full = await start(a, {
      _customer_number: "5303",
      _desired_time: "2030-03-05T08:45:00Z",
    });
    expect(full.statusCode).toBe(400);
    const body = full.json<ErrorBody>();
    expect(body.exception).toBe(`${GMS}.CallbackExceptionTimeSlotFull`);
    expect(body.message).toContain(
      "holds 2 callbacks, the capacity of this slot in capacity service tuesday-capacity",
    );
    expect(body.availability).toEqual({ "2030-03-05T10:00:00.000Z": 1 });
    const none = await start(a, {
      _customer_number: "5304",
      _desired_time: "2030-03-05T09:15:00Z",
    });
    expect(none.json<ErrorBody>().exception).toBe(`${GMS}.CallbackExceptionTimeSlotFull`);
    const v1 = await a.app.inject({
      url: `${a.base}/availability?start=2030-03-05T00:00:00Z&end=2030-03-05T23:00:00Z`,
    });
    expect(v1.json()).toEqual({ "2030-03-05T10:00:00.000Z": 1 });
  });

  it("refuses a reschedule (_new_desired_time) outside office hours", async () => {
    const a = await makeApp(t.store, HOURS_OPTIONS, { sections: { "paris-office": OFFICE } });
    const created = await start(a, {
      _customer_number: "5401",
      _desired_time: "2030-03-05T09:00:00Z",
    });
    const id = created.json<{ _id: string }>()._id;
    const moved = await a.app.inject({
      method: "PUT",
      url: `${a.base}/${id}`,
      payload: { _new_desired_time: "2030-03-05T20:00:00Z" },
    });
    expect(moved.statusCode).toBe(400);
    expect(moved.json<ErrorBody>().message).toContain(
      "_new_desired_time 2030-03-05T20:00:00.000Z is outside office hours",
    );
    const ok = await a.app.inject({
      method: "PUT",
      url: `${a.base}/${id}`,
      payload: { _new_desired_time: "2030-03-05T14:00:00Z" },
    });
    expect(ok.statusCode).toBe(200);
  });

  it("answers a missing or invalid office-hours service with a 400 naming the option and the fix, never as always open", async () => {
    const a = await makeApp(t.store, { ...HOURS_OPTIONS, _business_hours_service: "nowhere" });
    const scheduled = await start(a, {
      _customer_number: "5501",
      _desired_time: "2030-03-05T09:00:00Z",
    });
    expect(scheduled.statusCode).toBe(400);
    expect(scheduled.json<ErrorBody>()).toMatchObject({
      exception: `${GMS}.CallbackExceptionServiceConfiguration`,
      message: expect.stringContaining(
        "_business_hours_service=nowhere: no office-hours service nowhere is mounted",
      ) as unknown,
    });
    expect(scheduled.json<ErrorBody>().message).toContain(
      "create the office-hours service nowhere, or correct _business_hours_service",
    );
    const availability = await a.app.inject({ url: `${a.base}/availability` });
    expect(availability.statusCode).toBe(400);
    expect(availability.json<ErrorBody>().exception).toBe(
      `${GMS}.CallbackExceptionServiceConfiguration`,
    );
    // Immediate starts do not depend on office hours unless rejection is enabled.
    expect((await start(a, { _customer_number: "5502" })).statusCode).toBe(200);
    await a.setOptions({
      ...HOURS_OPTIONS,
      _business_hours_service: "nowhere",
      _enable_reject_out_of_office_hours: "true",
    });
    expect((await start(a, { _customer_number: "5503" })).statusCode).toBe(400);

    await a.setOptions(HOURS_OPTIONS);
    a.setSections({ "paris-office": { ...OFFICE, _timezone: "EST" } });
    const invalid = await start(a, {
      _customer_number: "5504",
      _desired_time: "2030-03-05T09:00:00Z",
    });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json<ErrorBody>().message).toContain(
      "the office-hours service paris-office is invalid: _timezone=EST is an abbreviation",
    );
    // Fixed live: the next request sees the new section.
    a.setSections({ "paris-office": OFFICE });
    const fixed = await start(a, {
      _customer_number: "5504",
      _desired_time: "2030-03-05T09:00:00Z",
    });
    expect(fixed.statusCode).toBe(200);
  });

  it("answers a missing capacity service with a 400 naming _capacity_service on scheduled starts only", async () => {
    const a = await makeApp(
      t.store,
      { ...HOURS_OPTIONS, _capacity_service: "no-such-capacity" },
      { sections: { "paris-office": OFFICE } },
    );
    const scheduled = await start(a, {
      _customer_number: "5701",
      _desired_time: "2030-03-05T09:00:00Z",
    });
    expect(scheduled.statusCode).toBe(400);
    expect(scheduled.json<ErrorBody>()).toMatchObject({
      exception: `${GMS}.CallbackExceptionServiceConfiguration`,
      message: expect.stringContaining(
        "_capacity_service=no-such-capacity: no capacity service no-such-capacity is mounted",
      ) as unknown,
    });
    expect((await start(a, { _customer_number: "5702" })).statusCode).toBe(200);
    const query = await a.app.inject({
      url: "/genesys/1/service/no-such-capacity?start=2030-03-05T09:00:00.000&end=2030-03-05T10:00:00.000",
    });
    expect(query.statusCode).toBe(400);
  });

  it("serves the Calendar Service API of its office-hours service (§2.2: empty periods = closed)", async () => {
    const a = await makeApp(t.store, HOURS_OPTIONS, { sections: { "paris-office": OFFICE } });
    const days = await a.app.inject({
      url: "/genesys/1/service/paris-office?start=2030-03-05T00:00:00Z&number-of-days=2",
    });
    expect(days.statusCode).toBe(200);
    expect(days.json()).toEqual({
      error: null,
      timezone: "Europe/Paris",
      periods: [{ start: "2030-03-05T08:00:00.000Z", end: "2030-03-05T16:00:00.000Z" }],
    });
    const window = await a.app.inject({
      url: "/genesys/1/service/paris-office?start=2030-03-04T12:00:00Z&end=2030-03-07T09:00:00Z",
    });
    expect(window.json<{ periods: unknown[] }>().periods).toEqual([
      { start: "2030-03-04T12:00:00.000Z", end: "2030-03-04T16:00:00.000Z" },
      { start: "2030-03-05T08:00:00.000Z", end: "2030-03-05T16:00:00.000Z" },
      { start: "2030-03-07T08:00:00.000Z", end: "2030-03-07T09:00:00.000Z" },
    ]);
    // No parameters: is it open now? Now is Monday 11:00 in Paris.
    const now = await a.app.inject({ url: "/genesys/1/service/paris-office" });
    expect(now.json<{ periods: unknown[] }>().periods).toEqual([
      { start: iso(T0), end: "2030-03-04T16:00:00.000Z" },
    ]);
    a.clock.advance(8 * HOUR);
    const closed = await a.app.inject({ url: "/genesys/1/service/paris-office" });
    expect(closed.json()).toEqual({ error: null, timezone: "Europe/Paris", periods: [] });
    for (const bad of [
      "start=noon",
      "number-of-days=0",
      "start=2030-03-05T00:00:00Z&end=2030-03-04T00:00:00Z",
    ]) {
      const res = await a.app.inject({ url: `/genesys/1/service/paris-office?${bad}` });
      expect(res.statusCode, bad).toBe(400);
    }
    const other = await a.app.inject({ url: "/genesys/1/service/someone-elses-office" });
    expect(other.statusCode).toBe(404);
  });

  it("serves the Capacity API of its capacity service (§3: start and end local, timezone optional)", async () => {
    const a = await makeApp(
      t.store,
      { ...HOURS_OPTIONS, _capacity_service: "tuesday-capacity" },
      { sections: { "paris-office": OFFICE, "tuesday-capacity": CAPACITY } },
    );
    const res = await a.app.inject({
      url: "/genesys/1/service/tuesday-capacity?start=2030-03-05T09:00:00.000&end=2030-03-05T12:00:00.000",
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      timezone: "Europe/Paris",
      periods: [
        { start: "2030-03-05T09:00:00.000", end: "2030-03-05T10:00:00.000", capacity: 2 },
        { start: "2030-03-05T10:00:00.000", end: "2030-03-05T11:00:00.000", capacity: 0 },
        { start: "2030-03-05T11:00:00.000", end: "2030-03-05T12:00:00.000", capacity: 1 },
      ],
    });
    const utc = await a.app.inject({
      url: "/genesys/1/service/tuesday-capacity?start=2030-03-05T08:00:00.000&end=2030-03-05T09:00:00.000&timezone=UTC",
    });
    expect(utc.json()).toEqual({
      timezone: "UTC",
      periods: [{ start: "2030-03-05T08:00:00.000", end: "2030-03-05T09:00:00.000", capacity: 2 }],
    });
    for (const bad of [
      "end=2030-03-05T12:00:00.000",
      "start=x&end=y",
      "start=2030-03-05T09:00:00.000&end=2030-03-05T12:00:00.000&timezone=Mars/Base",
    ]) {
      const r = await a.app.inject({ url: `/genesys/1/service/tuesday-capacity?${bad}` });
      expect(r.statusCode, bad).toBe(400);
    }
  });
});
