// Start, query, cancel and reschedule with GMS paths, bodies, shapes and status codes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, openStore, type TestStore } from "./support/databases.ts";
import { GMS, PERMISSIVE, START, adminAuth, makeApp } from "./support/app.ts";

const T0 = Date.parse(START);
const iso = (ms: number): string => new Date(ms).toISOString();

describe.each(BACKENDS)("callbacks on %s", (backend) => {
  let t: TestStore;
  beforeAll(async () => {
    t = await openStore(backend);
  });
  afterAll(async () => {
    await t.close();
  });

  it("starts an immediate callback from JSON with the GMS confirmation dialog", async () => {
    const a = await makeApp(t.store);
    const res = await a.app.inject({
      method: "POST",
      url: a.base,
      payload: { _customer_number: "5115", note: "vip" },
    });
    expect(res.statusCode).toBe(200);
    const body = res.json<Record<string, string>>();
    expect(body).toEqual({
      _id: expect.stringMatching(/^[0-9A-F]{32}$/) as unknown,
      _action: "ConfirmationDialog",
      _text: "You will receive the call shortly",
      _ok_title: "Ok",
      _dialog_id: "0",
    });
    expect(a.dueCount()).toBe(1);
    const [record] = (
      await a.app.inject({ url: `/genesys/1/service/callback?_id=${body["_id"] ?? ""}` })
    ).json<Record<string, string>[]>();
    expect(record).toMatchObject({
      _id: body["_id"],
      _service_name: a.serviceName,
      _callback_state: "QUEUED",
      // Stored, counted and returned in its E.164 form (here with the default country, US).
      _customer_number: "+15115",
      _desired_time: START,
      _expiration_time: iso(T0 + 86_400_000),
      note: "vip",
    });
    expect(record?.["url"]).toBe(
      `http://localhost:80/genesys/1/service/callback/${a.serviceName}/${body["_id"] ?? ""}`,
    );
    expect(Object.values(record ?? {}).every((v) => typeof v === "string")).toBe(true);
  });

  it("accepts form-encoded bodies and keeps values as strings", async () => {
    const a = await makeApp(t.store);
    const res = await a.app.inject({
      method: "POST",
      url: a.base,
      headers: { "content-type": "application/x-www-form-urlencoded" },
      payload: "_customer_number=%2B16504661100&count=3",
    });
    expect(res.statusCode).toBe(200);
    const [record] = (await a.app.inject({ url: `${a.base}?count=3` })).json<
      Record<string, string>[]
    >();
    expect(record).toMatchObject({ _customer_number: "+16504661100", count: "3" });
  });

  // gms-reference-2.md §7.3 (Genesys' functional tests, CallbackAPITests): a custom key listed in
  // `_customer_lookup_keys` (`_customer_number,CB_SUBSCRIPTION_ID`) can then be queried, on the
  // service's path and across services, and is returned with the record.
  it("finds callbacks by a custom key listed in _customer_lookup_keys", async () => {
    const a = await makeApp(t.store, {
      ...PERMISSIVE,
      _customer_lookup_keys: "_customer_number,CB_SUBSCRIPTION_ID",
    });
    const start = async (number: string, subscription: string) =>
      (
        await a.app.inject({
          method: "POST",
          url: a.base,
          payload: { _customer_number: number, CB_SUBSCRIPTION_ID: subscription },
        })
      ).json<{ _id: string }>()._id;
    const first = await start("5301", "SUB-1");
    await start("5302", "SUB-2");
    for (const url of [
      `${a.base}?CB_SUBSCRIPTION_ID=SUB-1`,
      "/genesys/1/service/callback?CB_SUBSCRIPTION_ID=SUB-1",
    ]) {
      const records = (await a.app.inject({ url })).json<Record<string, string>[]>();
      expect(records, url).toEqual([
        expect.objectContaining({ _id: first, CB_SUBSCRIPTION_ID: "SUB-1" }),
      ]);
    }
  });

  it("schedules with _desired_time and reports SCHEDULED", async () => {
    const a = await makeApp(t.store);
    const desired = iso(T0 + 3 * 3_600_000);
    const res = await a.app.inject({
      method: "POST",
      url: a.base,
      payload: { _customer_number: "5115", _desired_time: desired },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ _action: "ConfirmationDialog", _desired_time: desired });
    expect(a.dueCount()).toBe(0);
    const [record] = (await a.app.inject({ url: a.base })).json<Record<string, string>[]>();
    expect(record).toMatchObject({ _callback_state: "SCHEDULED", _desired_time: desired });
  });

  it("queries one service by properties, with AND, OR and ! negation", async () => {
    const a = await makeApp(t.store);
    const start = async (number: string, color: string) =>
      (
        await a.app.inject({
          method: "POST",
          url: a.base,
          payload: { _customer_number: number, color },
        })
      ).json<{ _id: string }>()._id;
    const red = await start("5001", "red");
    const blue = await start("5002", "blue");
    await a.app.inject({ method: "DELETE", url: `${a.base}/${blue}` });
    const ids = async (query: string) =>
      (await a.app.inject({ url: `${a.base}?${query}` }))
        .json<{ _id: string }[]>()
        .map((r) => r._id)
        .sort();
    expect(await ids("_customer_number=5001&color=blue")).toEqual([]);
    expect(await ids("_customer_number=5001&color=blue&operand=OR")).toEqual([red, blue].sort());
    expect(await ids("_callback_state=!COMPLETED")).toEqual([red]);
    expect(await ids("_callback_state=COMPLETED&_callback_reason=CANCELLED")).toEqual([blue]);
    const bad = await a.app.inject({ url: `${a.base}?operand=XOR` });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ exception: `${GMS}.CallbackExceptionBadRequest` });
  });

  it("queries by customer number and state without the service in the path: across services for the admin", async () => {
    const a = await makeApp(t.store);
    const b = await makeApp(t.store);
    const number = `7${String(Date.now()).slice(-6)}`;
    await a.app.inject({ method: "POST", url: a.base, payload: { _customer_number: number } });
    await b.app.inject({ method: "POST", url: b.base, payload: { _customer_number: number } });
    const path = `/genesys/1/service/callback?_customer_number=${number}&_callback_state=!COMPLETED`;
    const services = async (headers: Record<string, string>) => {
      const res = await a.app.inject({ url: path, headers });
      expect(res.statusCode).toBe(200);
      return res
        .json<{ _service_name: string }[]>()
        .map((r) => r._service_name)
        .sort();
    };
    // The service's own caller sees its own records; the admin, every service's (isolation.test.ts).
    expect(await services({})).toEqual([a.serviceName]);
    expect(await services(adminAuth)).toEqual([a.serviceName, b.serviceName].sort());
    expect((await a.app.inject({ url: "/genesys/1/service/callback?_id=nope" })).json()).toEqual(
      [],
    );
  });

  it("cancels: 200, then COMPLETED/CANCELLED; unknown id 404; twice 400", async () => {
    const a = await makeApp(t.store);
    const id = (
      await a.app.inject({ method: "POST", url: a.base, payload: { _customer_number: "5115" } })
    ).json<{ _id: string }>()._id;
    const res = await a.app.inject({
      method: "DELETE",
      url: `${a.base}/${id}?discard_ors_failure=true`,
    });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe("");
    const [record] = (await a.app.inject({ url: `/genesys/1/service/callback?_id=${id}` })).json<
      Record<string, string>[]
    >();
    expect(record).toMatchObject({ _callback_state: "COMPLETED", _callback_reason: "CANCELLED" });
    const again = await a.app.inject({ method: "DELETE", url: `${a.base}/${id}` });
    expect(again.statusCode).toBe(400);
    const missing = await a.app.inject({ method: "DELETE", url: `${a.base}/NOPE` });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({
      code: 404,
      exception: `${GMS}.CallbackExceptionNotFound`,
    });
    const otherService = await a.app.inject({
      method: "DELETE",
      url: `/genesys/1/service/callback/elsewhere/${id}`,
    });
    expect(otherService.statusCode).toBe(404);
  });

  it("reschedules with _new_desired_time and updates user data", async () => {
    const a = await makeApp(t.store);
    const id = (
      await a.app.inject({
        method: "POST",
        url: a.base,
        payload: { _customer_number: "5115", _desired_time: iso(T0 + 3_600_000) },
      })
    ).json<{ _id: string }>()._id;
    const later = iso(T0 + 7_200_000);
    const res = await a.app.inject({
      method: "PUT",
      url: `${a.base}/${id}`,
      payload: { _new_desired_time: later, topic: "billing" },
    });
    expect(res.statusCode).toBe(200);
    const [record] = (await a.app.inject({ url: `/genesys/1/service/callback?_id=${id}` })).json<
      Record<string, string>[]
    >();
    expect(record).toMatchObject({
      _desired_time: later,
      _callback_state: "SCHEDULED",
      topic: "billing",
      _expiration_time: iso(T0 + 7_200_000 + 86_400_000),
    });
    const now = await a.app.inject({
      method: "PUT",
      url: `${a.base}/${id}`,
      payload: { _new_desired_time: START },
    });
    expect(now.statusCode).toBe(200);
    expect(a.dueCount()).toBe(1);
    const bad = await a.app.inject({
      method: "PUT",
      url: `${a.base}/${id}`,
      payload: { _new_desired_time: "tomorrow" },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ exception: `${GMS}.CallbackExceptionBadRequest` });
  });

  // GMS: a PUT that sets a key to "" removes it from the record (Genesys' functional tests,
  // CallbackAPITests, Jira GMS-5183; gms-reference-2.md §7.3).
  it("removes a user-data key updated with an empty value", async () => {
    const a = await makeApp(t.store);
    const id = (
      await a.app.inject({
        method: "POST",
        url: a.base,
        payload: { _customer_number: "5115", topic: "billing", account: "42" },
      })
    ).json<{ _id: string }>()._id;
    const res = await a.app.inject({
      method: "PUT",
      url: `${a.base}/${id}`,
      payload: { topic: "", note: "vip" },
    });
    expect(res.statusCode).toBe(200);
    const [record] = (await a.app.inject({ url: `/genesys/1/service/callback?_id=${id}` })).json<
      Record<string, string>[]
    >();
    expect(record).toMatchObject({ account: "42", note: "vip" });
    expect(record).not.toHaveProperty("topic");
    expect((await a.app.inject({ url: `${a.base}?topic=billing` })).json<unknown[]>()).toHaveLength(
      0,
    );
  });

  // GMS's mobile clients cancel with `Content-Type: application/json` and no body, which GMS
  // accepts (issue 17, "smaller deviations"; the cancel row of gms-reference.md §5 takes no body).
  it("cancels on a DELETE with Content-Type application/json and no body", async () => {
    const a = await makeApp(t.store);
    const id = (
      await a.app.inject({ method: "POST", url: a.base, payload: { _customer_number: "5115" } })
    ).json<{ _id: string }>()._id;
    const res = await a.app.inject({
      method: "DELETE",
      url: `${a.base}/${id}`,
      headers: { "content-type": "application/json; charset=utf-8" },
    });
    expect(res.statusCode).toBe(200);
    const [record] = (await a.app.inject({ url: `/genesys/1/service/callback?_id=${id}` })).json<
      Record<string, string>[]
    >();
    expect(record).toMatchObject({ _callback_state: "COMPLETED", _callback_reason: "CANCELLED" });
    // Only DELETE reads no body: an empty JSON body elsewhere is still refused, naming the cause.
    const emptyPost = await a.app.inject({
      method: "POST",
      url: a.base,
      headers: { "content-type": "application/json" },
    });
    expect(emptyPost.statusCode).toBe(400);
    expect(emptyPost.json()).toMatchObject({
      exception: `${GMS}.CallbackExceptionBadRequest`,
      message: "Body cannot be empty when content-type is set to 'application/json'",
    });
  });

  it("lets the orchestration report progress with _callback_state and _callback_reason", async () => {
    const a = await makeApp(t.store);
    const id = (
      await a.app.inject({ method: "POST", url: a.base, payload: { _customer_number: "5115" } })
    ).json<{ _id: string }>()._id;
    expect(
      (
        await a.app.inject({
          method: "PUT",
          url: `${a.base}/${id}`,
          payload: { _callback_state: "PROCESSING" },
        })
      ).statusCode,
    ).toBe(200);
    expect(
      (
        await a.app.inject({
          method: "PUT",
          url: `${a.base}/${id}`,
          payload: { _callback_state: "COMPLETED", _callback_reason: "AGENT_CONNECTED" },
        })
      ).statusCode,
    ).toBe(200);
    const [record] = (await a.app.inject({ url: `/genesys/1/service/callback?_id=${id}` })).json<
      Record<string, string>[]
    >();
    expect(record).toMatchObject({
      _callback_state: "COMPLETED",
      _callback_reason: "AGENT_CONNECTED",
    });
    const bad = await a.app.inject({
      method: "PUT",
      url: `${a.base}/${id}`,
      payload: { _callback_state: "DONE" },
    });
    expect(bad.statusCode).toBe(400);
  });

  it("answers 404 for another service's name", async () => {
    const a = await makeApp(t.store);
    const res = await a.app.inject({
      method: "POST",
      url: "/genesys/1/service/callback/someone-else",
      payload: { _customer_number: "5115" },
    });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ exception: `${GMS}.CallbackExceptionNotFound` });
  });

  it("substitutes $token$ and lets only overwritable options win over configuration", async () => {
    const a = await makeApp(t.store, {
      ...PERMISSIVE,
      _target: "Agents@$stat$.GA",
      _urs_virtual_queue: "VQ_CONFIG",
      _overwritable_options: "_ors,_ttl",
    });
    const id = (
      await a.app.inject({
        method: "POST",
        url: a.base,
        payload: {
          _customer_number: "5115",
          stat: "Stat_Server1",
          _urs_virtual_queue: "VQ_REQUEST",
          _ors: "http://127.0.0.1:9/ors",
          _ttl: "5",
        },
      })
    ).json<{ _id: string }>()._id;
    const row = await t.store.getById(id);
    // Configured `_urs_virtual_queue` wins; `_ors` is overwritable. `_ttl` is not configured, so the
    // request's value is kept as a property, but rules read options from the service only.
    expect(row?.properties).toEqual({
      stat: "Stat_Server1",
      _ors: "http://127.0.0.1:9/ors",
      _ttl: "5",
    });
    expect(row?.expirationTime).toBe(T0 + 86_400_000);
  });
});
