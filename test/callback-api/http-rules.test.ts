// GMS admission rules: mandatory keys, number validation, in-queue checking, queue cap, future
// limit, per-number daily throttle, time buckets, `_ttl` purge.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Dispatcher } from "../../src/callback-api/dispatcher.ts";
import { Metrics } from "../../src/callback-api/metrics.ts";
import { BACKENDS, openStore, type TestStore } from "./support/databases.ts";
import { GMS, PERMISSIVE, START, makeApp, type TestApp } from "./support/app.ts";
import { pino } from "pino";

const T0 = Date.parse(START);
const iso = (ms: number): string => new Date(ms).toISOString();

async function start(a: TestApp, payload: Record<string, string>) {
  return a.app.inject({ method: "POST", url: a.base, payload });
}

describe.each(BACKENDS)("rules on %s", (backend) => {
  let t: TestStore;
  beforeAll(async () => {
    t = await openStore(backend);
  });
  afterAll(async () => {
    await t.close();
  });

  it("refuses a request without the mandatory lookup keys (400)", async () => {
    const a = await makeApp(t.store, {
      ...PERMISSIVE,
      _mandatory_customer_lookup_keys: "_customer_number,account",
    });
    const res = await start(a, { _customer_number: "5115" });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      code: 400,
      exception: `${GMS}.CallbackExceptionBadRequest`,
      message: expect.stringContaining("account") as unknown,
    });
    expect((await start(a, { account: "42" })).statusCode).toBe(400);
    expect((await start(a, { _customer_number: "5115", account: "42" })).statusCode).toBe(200);
  });

  it("refuses impossible and premium numbers with the GMS messages", async () => {
    const a = await makeApp(t.store, {
      _default_country: "US",
      _enable_in_queue_checking: "false",
    });
    const impossible = await start(a, { _customer_number: "111" });
    expect(impossible.statusCode).toBe(400);
    expect(impossible.json()).toMatchObject({
      exception: `${GMS}.CallbackExceptionNumber`,
      message:
        "Customer Number [111] is disallowed, because it is invalid. Check option _disallow_impossible_phone_numbers",
    });
    const premium = await start(a, { _customer_number: "+19005551234" });
    expect(premium.statusCode).toBe(400);
    expect(premium.json()).toMatchObject({
      exception: `${GMS}.CallbackExceptionNumber`,
      message:
        "Customer Number [+19005551234] is disallowed, because it's a premium number. Check option _disallow_premium_phone_numbers",
    });
    expect((await start(a, { _customer_number: "+16504661100" })).statusCode).toBe(200);
    await a.setOptions({
      _default_country: "US",
      _disallow_premium_phone_numbers: "false",
      _disallow_impossible_phone_numbers: "false",
    });
    expect((await start(a, { _customer_number: "+19005551234" })).statusCode).toBe(200);
    await a.setOptions({ _default_country: "", _disallow_impossible_phone_numbers: "false" });
    expect((await start(a, { _customer_number: "+19005551234" })).json()).toMatchObject({
      message: `Service option ${a.serviceName} / _default_country is not configured. But option _disallow_premium_phone_numbers is set. We cannot validate phone numbers without knowing the country.`,
    });
  });

  it("checks the queue for the number: true allows 2, strict allows 1", async () => {
    const a = await makeApp(t.store, { ...PERMISSIVE, _enable_in_queue_checking: "true" });
    expect((await start(a, { _customer_number: "5200" })).statusCode).toBe(200);
    expect((await start(a, { _customer_number: "5200" })).statusCode).toBe(200);
    const third = await start(a, { _customer_number: "5200" });
    expect(third.statusCode).toBe(400);
    expect(third.json()).toMatchObject({ exception: `${GMS}.CallbackExceptionAlreadyQueued` });
    await a.setOptions({ ...PERMISSIVE, _enable_in_queue_checking: "strict" });
    expect((await start(a, { _customer_number: "5201" })).statusCode).toBe(200);
    expect((await start(a, { _customer_number: "5201" })).statusCode).toBe(400);
  });

  it("caps queued callbacks per service with 503 CallbackExceptionServiceUnavailable", async () => {
    const a = await makeApp(t.store, { ...PERMISSIVE, _max_queued_callbacks_per_service: "2" });
    expect((await start(a, { _customer_number: "5301" })).statusCode).toBe(200);
    expect((await start(a, { _customer_number: "5302" })).statusCode).toBe(200);
    const res = await start(a, { _customer_number: "5303" });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({
      code: 503,
      phrase: "Service Unavailable",
      message: `Limit of queued callbacks for ${a.serviceName} is reached.`,
      exception: `${GMS}.CallbackExceptionServiceUnavailable`,
    });
    // Scheduled callbacks do not wait in the queue, so the cap does not refuse them.
    expect(
      (await start(a, { _customer_number: "5304", _desired_time: iso(T0 + 3_600_000) })).statusCode,
    ).toBe(200);
  });

  it("refuses desired times beyond _reject_future_desired_time and bad dates", async () => {
    const a = await makeApp(t.store, { ...PERMISSIVE, _reject_future_desired_time: "1d" });
    expect(
      (await start(a, { _customer_number: "5115", _desired_time: iso(T0 + 23 * 3_600_000) }))
        .statusCode,
    ).toBe(200);
    const far = await start(a, {
      _customer_number: "5115",
      _desired_time: iso(T0 + 25 * 3_600_000),
    });
    expect(far.statusCode).toBe(400);
    expect(far.json()).toMatchObject({
      message: expect.stringContaining("_reject_future_desired_time") as unknown,
    });
    for (const bad of [
      "2030-02-30T10:00:00.000Z",
      "2030-03-04 10:00",
      "yesterday",
      "2030-13-01T00:00:00Z",
    ]) {
      const res = await start(a, { _customer_number: "5115", _desired_time: bad });
      expect(res.statusCode, bad).toBe(400);
      expect(res.json()).toMatchObject({ exception: `${GMS}.CallbackExceptionBadRequest` });
    }
  });

  it("throttles a number after _throttle_request_parameters_limit callbacks a day (503)", async () => {
    const a = await makeApp(t.store, { ...PERMISSIVE, _throttle_request_parameters_limit: "2" });
    expect((await start(a, { _customer_number: "5115" })).statusCode).toBe(200);
    expect((await start(a, { _customer_number: "5115" })).statusCode).toBe(200);
    const res = await start(a, { _customer_number: "5115" });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({
      exception: `${GMS}.CallbackExceptionServiceUnavailable`,
      message:
        "Callback for _customer_number=+15115 rejected because previous callbacks for this parameter were requested for more than 2 times today.",
    });
    expect((await start(a, { _customer_number: "5125" })).statusCode).toBe(200);
    a.clock.advance(86_400_000);
    expect((await start(a, { _customer_number: "5115" })).statusCode).toBe(200);
  });

  // Genesys' ThrottlePreventSameCustomerNumberTests: the daily limit counts immediate requests;
  // scheduled ones for the same number all pass, with limits 0, 6 and 7.
  it("counts only immediate callbacks toward the daily limit; scheduled ones pass it", async () => {
    const a = await makeApp(t.store, { ...PERMISSIVE, _throttle_request_parameters_limit: "1" });
    expect((await start(a, { _customer_number: "5116" })).statusCode).toBe(200);
    const later = (minutes: number) => iso(T0 + minutes * 60_000);
    for (const minutes of [5, 10, 15, 20]) {
      const res = await start(a, { _customer_number: "5116", _desired_time: later(minutes) });
      expect(res.statusCode, `scheduled +${minutes} min`).toBe(200);
    }
    const immediate = await start(a, { _customer_number: "5116" });
    expect(immediate.statusCode).toBe(503);
    expect(immediate.json()).toMatchObject({
      message:
        "Callback for _customer_number=+15116 rejected because previous callbacks for this parameter were requested for more than 1 times today.",
    });
    await a.setOptions({ ...PERMISSIVE, _throttle_request_parameters_limit: "0" });
    expect(
      (await start(a, { _customer_number: "5117", _desired_time: later(30) })).statusCode,
    ).toBe(200);
    expect((await start(a, { _customer_number: "5117" })).statusCode).toBe(503);
  });

  // Genesys' ThrottlePreventHighRateTests (GMS-4804): past _throttle_callbacks_per_service_N starts
  // within _throttle_ttl_N seconds, a start gets 503 "... is reached for interval {ttl}s."; the
  // first window is named when both are full; scheduled starts count too (test_44); refused ones
  // do not.
  it("limits starts per service within _throttle_ttl_1/2 (503, GMS message)", async () => {
    const a = await makeApp(t.store, {
      ...PERMISSIVE,
      _throttle_callbacks_per_service_1: "2",
      _throttle_ttl_1: "7",
      _throttle_callbacks_per_service_2: "3",
      _throttle_ttl_2: "19",
    });
    const limited = (ttl: number) => ({
      code: 503,
      phrase: "Service Unavailable",
      message: `Limit of queued callbacks for ${a.serviceName} is reached for interval ${ttl}s.`,
      exception: `${GMS}.CallbackExceptionServiceUnavailable`,
    });
    const scheduled = (n: string) => ({ _customer_number: n, _desired_time: iso(T0 + 3_600_000) });
    expect((await start(a, { _customer_number: "5501" })).statusCode).toBe(200);
    expect((await start(a, scheduled("5502"))).statusCode).toBe(200);
    const first = await start(a, scheduled("5503"));
    expect(first.statusCode).toBe(503);
    expect(first.json()).toEqual(limited(7));
    a.clock.advance(6_999);
    expect((await start(a, { _customer_number: "5504" })).json()).toEqual(limited(7));
    a.clock.advance(1);
    // The first window has passed; the second holds 2 of 3 (the refusals were not counted).
    expect((await start(a, { _customer_number: "5505" })).statusCode).toBe(200);
    const second = await start(a, { _customer_number: "5506" });
    expect(second.json()).toEqual(limited(19));
    a.clock.advance(12_000);
    expect((await start(a, { _customer_number: "5507" })).statusCode).toBe(200);
    // Another service has windows of its own.
    const b = await makeApp(t.store, {
      ...PERMISSIVE,
      _throttle_callbacks_per_service_1: "1",
      _throttle_callbacks_per_service_2: "",
    });
    expect((await start(b, { _customer_number: "5508" })).statusCode).toBe(200);
    // Not set or empty: GMS's defaults, 500 within 300 s and 1000 within 3600 s (test_01, test_02).
    expect((await start(b, { _customer_number: "5509" })).json()).toEqual({
      ...limited(300),
      message: `Limit of queued callbacks for ${b.serviceName} is reached for interval 300s.`,
    });
    expect(b.options()).toMatchObject({
      _throttle_ttl_1: 300,
      _throttle_callbacks_per_service_2: 1000,
      _throttle_ttl_2: 3600,
    });
  });

  // GMS option _enable_throttle_header_parameters (8.5.111.04, default true): a
  // _throttle_request_parameters entry sent as a header is throttled by the header's value, which
  // wins over a body value of the same name; false: "no restriction for the callback requests
  // issued from the same user_id" sent as a header.
  it("throttles header parameters unless _enable_throttle_header_parameters is false", async () => {
    const raw = {
      ...PERMISSIVE,
      _throttle_request_parameters: "_customer_number,user_id",
      _throttle_request_parameters_limit: "2",
    };
    const a = await makeApp(t.store, raw);
    const withHeader = (n: string, user: string, body: Record<string, string> = {}) =>
      a.app.inject({
        method: "POST",
        url: a.base,
        headers: { user_id: user },
        payload: { _customer_number: n, ...body },
      });
    expect((await withHeader("5701", "u1")).statusCode).toBe(200);
    expect((await withHeader("5702", "u1")).statusCode).toBe(200);
    const third = await withHeader("5703", "u1", { user_id: "u2" });
    expect(third.statusCode).toBe(503);
    expect(third.json()).toMatchObject({
      exception: `${GMS}.CallbackExceptionServiceUnavailable`,
      message:
        "Callback for user_id=u1 rejected because previous callbacks for this parameter were requested for more than 2 times today.",
    });
    // The same value in the body counts the same.
    expect((await start(a, { _customer_number: "5704", user_id: "u1" })).statusCode).toBe(503);
    await a.setOptions({ ...raw, _enable_throttle_header_parameters: "false" });
    for (const n of ["5705", "5706", "5707"]) {
      expect((await withHeader(n, "u1")).statusCode, n).toBe(200);
    }
    // Headers off, the body value is the one counted.
    expect((await withHeader("5708", "u3", { user_id: "u1" })).statusCode).toBe(503);
  });

  it("refuses a full time bucket and proposes free slots", async () => {
    const a = await makeApp(t.store, {
      ...PERMISSIVE,
      _max_request_by_time_bucket: "2",
      _request_time_bucket: "15",
    });
    const slot = T0 + 2 * 3_600_000;
    expect(
      (await start(a, { _customer_number: "5401", _desired_time: iso(slot) })).statusCode,
    ).toBe(200);
    expect(
      (await start(a, { _customer_number: "5402", _desired_time: iso(slot + 60_000) })).statusCode,
    ).toBe(200);
    const res = await start(a, { _customer_number: "5403", _desired_time: iso(slot + 120_000) });
    expect(res.statusCode).toBe(400);
    const body = res.json<{ exception: string; availability: Record<string, number> }>();
    expect(body.exception).toBe(`${GMS}.CallbackExceptionTimeSlotFull`);
    expect(body.availability[iso(slot)]).toBeUndefined();
    expect(body.availability[iso(slot + 15 * 60_000)]).toBe(2);
    expect(
      (await start(a, { _customer_number: "5403", _desired_time: iso(slot + 15 * 60_000) }))
        .statusCode,
    ).toBe(200);
  });

  it("purges records _ttl after their desired time", async () => {
    const a = await makeApp(t.store, { ...PERMISSIVE, _ttl: "60" });
    const id = (await start(a, { _customer_number: "5115" })).json<{ _id: string }>()._id;
    const dispatcher = new Dispatcher({
      store: t.store,
      clock: a.clock,
      options: a.options,
      log: pino({ level: "silent" }),
      metrics: new Metrics(),
      workerId: "w",
    });
    a.clock.advance(59_000);
    await dispatcher.tick();
    expect(await t.store.getById(id)).toBeDefined();
    a.clock.advance(2_000 + 60_000);
    await dispatcher.tick();
    expect(await t.store.getById(id)).toBeUndefined();
  });
});
