// Admin endpoints, availability v1/v2, Basic auth, and probes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, openStore, type TestStore } from "./support/databases.ts";
import {
  ADMIN,
  GMS,
  PERMISSIVE,
  START,
  adminAuth,
  basic,
  makeApp,
  uniqueService,
} from "./support/app.ts";

const T0 = Date.parse(START);
const iso = (ms: number): string => new Date(ms).toISOString();

describe.each(BACKENDS)("admin, availability, auth and probes on %s", (backend) => {
  let t: TestStore;
  beforeAll(async () => {
    t = await openStore(backend);
  });
  afterAll(async () => {
    await t.close();
  });

  it("lists callbacks by queue, keyed by service, filtered by group, state and window", async () => {
    const group = uniqueService("grp");
    const a = await makeApp(t.store, { ...PERMISSIVE, _service_groups: `${group}, shared` });
    const b = await makeApp(t.store, { ...PERMISSIVE, _service_groups: "other" });
    const post = (app: typeof a, payload: Record<string, string>) =>
      app.app
        .inject({ method: "POST", url: app.base, payload })
        .then((r) => r.json<{ _id: string }>()._id);
    const queued = await post(a, { _customer_number: "5115", _service_type: "tag-1" });
    const scheduled = await post(a, {
      _customer_number: "5116",
      _desired_time: iso(T0 + 3_600_000),
    });
    const far = await post(a, {
      _customer_number: "5117",
      _desired_time: iso(T0 + 2 * 86_400_000),
    });
    await post(b, { _customer_number: "5118" });

    const byGroup = await a.app.inject({
      url: `/genesys/1/admin/callback/queues?services=${group}`,
      headers: adminAuth,
    });
    expect(byGroup.statusCode).toBe(200);
    const body = byGroup.json<Record<string, Record<string, string>[]>>();
    expect(Object.keys(body)).toEqual([a.serviceName]);
    expect(body[a.serviceName]?.map((r) => r["_id"])).toEqual([queued, scheduled]);
    expect(body[a.serviceName]?.[0]).toMatchObject({
      _service_groups: `${group},shared`,
      _service_type: "tag-1",
    });

    const states = await a.app.inject({
      url: `/genesys/1/admin/callback/queues?target=${a.serviceName}&states=SCHEDULED&end_time=${iso(T0 + 3 * 86_400_000)}`,
      headers: adminAuth,
    });
    expect(
      states.json<Record<string, { _id: string }[]>>()[a.serviceName]?.map((r) => r._id),
    ).toEqual([scheduled, far]);
    const filtered = await a.app.inject({
      url: `/genesys/1/admin/callback/queues?_service_type=tag-1`,
      headers: adminAuth,
    });
    expect(
      Object.values(filtered.json<Record<string, { _id: string }[]>>())
        .flat()
        .map((r) => r._id),
    ).toEqual([queued]);
    const empty = await a.app.inject({
      url: `/genesys/1/admin/callback/queues?target=nobody`,
      headers: adminAuth,
    });
    expect(empty.json()).toEqual({ nobody: [] });
    const badState = await a.app.inject({
      url: `/genesys/1/admin/callback/queues?states=WAITING`,
      headers: adminAuth,
    });
    expect(badState.statusCode).toBe(400);
  });

  it("bulk-cancels by id with a reason", async () => {
    const a = await makeApp(t.store);
    const id = (
      await a.app.inject({ method: "POST", url: a.base, payload: { _customer_number: "5115" } })
    ).json<{ _id: string }>()._id;
    const res = await a.app.inject({
      method: "POST",
      url: "/genesys/1/admin/callback/cancel",
      headers: adminAuth,
      payload: { reason: "CANCELLED_BY_ADMIN", ids: [id, "missing"] },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ cancelled: [id], not_found: ["missing"], already_completed: [] });
    expect((await t.store.getById(id))?.reason).toBe("CANCELLED_BY_ADMIN");
    const again = await a.app.inject({
      method: "POST",
      url: "/genesys/1/admin/callback/cancel",
      headers: adminAuth,
      payload: { ids: [id] },
    });
    expect(again.json()).toMatchObject({ already_completed: [id] });
    const bad = await a.app.inject({
      method: "POST",
      url: "/genesys/1/admin/callback/cancel",
      headers: adminAuth,
      payload: { ids: "x" },
    });
    expect(bad.statusCode).toBe(400);
  });

  it("reports queued watermarks per service and the service listing with groups", async () => {
    const a = await makeApp(t.store, { ...PERMISSIVE, _service_groups: "wm" });
    await a.app.inject({ method: "POST", url: a.base, payload: { _customer_number: "5115" } });
    await a.app.inject({
      method: "POST",
      url: a.base,
      payload: { _customer_number: "5116", _desired_time: iso(T0 + 3_600_000) },
    });
    const res = await a.app.inject({
      url: `/genesys/1/admin/callback/watermarks?service_name=${a.serviceName}`,
      headers: adminAuth,
    });
    expect(res.json()).toEqual({ services: { [a.serviceName]: 1 }, total: 1 });
    const listing = await a.app.inject({
      url: "/genesys/1/admin/callback/services?services=wm",
      headers: adminAuth,
    });
    expect(listing.json()).toEqual({
      services: [{ name: a.serviceName, _service_groups: "wm", queued: 1 }],
    });
  });

  it("requires admin credentials on admin endpoints (401), and is off without them (403)", async () => {
    const a = await makeApp(t.store);
    const none = await a.app.inject({ url: "/genesys/1/admin/callback/queues" });
    expect(none.statusCode).toBe(401);
    expect(none.headers["www-authenticate"]).toContain("Basic");
    expect(none.json()).toMatchObject({ exception: `${GMS}.CallbackExceptionUnauthorized` });
    const wrong = await a.app.inject({
      url: "/genesys/1/admin/callback/queues",
      headers: { authorization: basic(ADMIN.username, "nope") },
    });
    expect(wrong.statusCode).toBe(401);
    const off = await makeApp(t.store, PERMISSIVE, { admin: false });
    const forbidden = await off.app.inject({
      url: "/genesys/1/admin/callback/queues",
      headers: adminAuth,
    });
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.json()).toMatchObject({ exception: `${GMS}.CallbackExceptionForbidden` });
  });

  it("requires the service's username and password once configured, and follows changes", async () => {
    const a = await makeApp(t.store);
    const payload = { _customer_number: "5115" };
    expect((await a.app.inject({ method: "POST", url: a.base, payload })).statusCode).toBe(200);
    await a.setOptions({ ...PERMISSIVE, username: "gms", password: "s3cret" });
    const denied = await a.app.inject({ method: "POST", url: a.base, payload });
    expect(denied.statusCode).toBe(401);
    expect(denied.json()).toMatchObject({
      code: 401,
      exception: `${GMS}.CallbackExceptionUnauthorized`,
    });
    expect(
      (await a.app.inject({ url: a.base, headers: { authorization: basic("gms", "wrong") } }))
        .statusCode,
    ).toBe(401);
    expect(
      (
        await a.app.inject({
          method: "POST",
          url: a.base,
          payload,
          headers: { authorization: basic("gms", "s3cret") },
        })
      ).statusCode,
    ).toBe(200);
    expect((await a.app.inject({ url: a.base, headers: adminAuth })).statusCode).toBe(200);
    expect(
      (await a.app.inject({ url: `/genesys/1/service/callback?_customer_number=5115` })).statusCode,
    ).toBe(401);
  });

  it("answers availability v1 and v2 from the time buckets", async () => {
    const a = await makeApp(t.store, {
      ...PERMISSIVE,
      _request_time_bucket: "30",
      _max_request_by_time_bucket: "2",
    });
    const slot = T0 + 3_600_000;
    for (const number of ["5501", "5502"]) {
      await a.app.inject({
        method: "POST",
        url: a.base,
        payload: { _customer_number: number, _desired_time: iso(slot) },
      });
    }
    await a.app.inject({
      method: "POST",
      url: a.base,
      payload: { _customer_number: "5503", _desired_time: iso(slot + 30 * 60_000) },
    });
    a.clock.advance(60_000);
    const v1 = await a.app.inject({
      url: `${a.base}/availability?start=${iso(T0)}&end=${iso(T0 + 2 * 3_600_000)}`,
    });
    expect(v1.statusCode).toBe(200);
    // The bucket starting now has begun (not offered); 11:00 is full; 11:30 has 1 left.
    expect(v1.json()).toEqual({
      [iso(T0 + 30 * 60_000)]: 2,
      [iso(slot + 30 * 60_000)]: 1,
      [iso(slot + 60 * 60_000)]: 2,
    });
    const limited = await a.app.inject({
      url: `${a.base}/availability?start=${iso(T0)}&number-of-days=1&max-time-slots=1`,
    });
    expect(Object.keys(limited.json<object>())).toEqual([iso(T0 + 30 * 60_000)]);

    const v2 = await a.app.inject({
      url: `/genesys/2/service/callback/${a.serviceName}/availability?start-ms=${T0}&end-ms=${slot + 30 * 60_000}&timezone=America/Toronto&report-busy=true`,
    });
    expect(v2.statusCode).toBe(200);
    expect(v2.json()).toEqual({
      durationMin: 30,
      timezone: "America/Toronto",
      slots: [
        {
          utcTime: iso(T0 + 30 * 60_000),
          localTime: "2030-03-04T05:30:00.000",
          capacity: 2,
          total: 2,
        },
        { utcTime: iso(slot), localTime: "2030-03-04T06:00:00.000", capacity: 0, total: 2 },
        {
          utcTime: iso(slot + 30 * 60_000),
          localTime: "2030-03-04T06:30:00.000",
          capacity: 1,
          total: 2,
        },
      ],
    });
    const busyHidden = await a.app.inject({
      url: `/genesys/2/service/callback/${a.serviceName}/availability?start-ms=${T0}&end-ms=${slot}`,
    });
    expect(busyHidden.json<{ slots: unknown[] }>().slots).toHaveLength(1);
    for (const bad of ["start=noon", "number-of-days=0", "max-time-slots=-1"]) {
      const res = await a.app.inject({ url: `${a.base}/availability?${bad}` });
      expect(res.statusCode, bad).toBe(400);
    }
    const badZone = await a.app.inject({
      url: `/genesys/2/service/callback/${a.serviceName}/availability?timezone=Mars/Base`,
    });
    expect(badZone.statusCode).toBe(400);
  });

  it("serves /healthz and /readyz, and no /metrics on the API port", async () => {
    const a = await makeApp(t.store);
    await a.app.inject({ method: "POST", url: a.base, payload: { _customer_number: "5115" } });
    expect((await a.app.inject({ url: "/healthz" })).json()).toEqual({ status: "ok" });
    expect((await a.app.inject({ url: "/readyz" })).statusCode).toBe(200);
    // Metrics have a port of their own (metrics-server.ts, proven in cli.test.ts).
    expect((await a.app.inject({ url: "/metrics" })).statusCode).toBe(404);
  });
});

it("reports not ready when the database is gone", async () => {
  const t = await openStore("pglite");
  const a = await makeApp(t.store);
  expect((await a.app.inject({ url: "/readyz" })).statusCode).toBe(200);
  await t.close();
  const res = await a.app.inject({ url: "/readyz" });
  expect(res.statusCode).toBe(503);
  expect((await a.app.inject({ url: "/healthz" })).statusCode).toBe(200);
});
