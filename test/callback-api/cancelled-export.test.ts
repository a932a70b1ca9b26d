// POST /genesys/1/admin/callback/reportcancelled: the Callback UI's "Export cancelled"
// (gms-reference-2.md §1.4 and §7.2; Genesys' ExportCallbackRecords and CallbackServicesAPI send
// {"callback_reason":"CANCELLED_BY_ADMIN","exported_properties":["_service_id"]}; the UI downloads
// CancelledCallbacks.csv, a header line plus one line per COMPLETED/CANCELLED_BY_ADMIN callback in
// the window). The CSV format is ours where GMS is unconfirmed (docs/adr/0104).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_EXPORT_ROWS } from "../../src/callback-api/cancelled-report.ts";
import { BACKENDS, openStore, type TestStore } from "./support/databases.ts";
import {
  GMS,
  PERMISSIVE,
  START,
  adminAuth,
  basic,
  makeApp,
  uniqueService,
  type TestApp,
} from "./support/app.ts";

const T0 = Date.parse(START);
const iso = (ms: number): string => new Date(ms).toISOString();
const EXPORT = "/genesys/1/admin/callback/reportcancelled";

describe.each(BACKENDS)("admin export of cancelled callbacks on %s", (backend) => {
  let t: TestStore;
  beforeAll(async () => {
    t = await openStore(backend);
  });
  afterAll(async () => {
    await t.close();
  });

  const start = async (a: TestApp, payload: Record<string, string>): Promise<string> => {
    const res = await a.app.inject({ method: "POST", url: a.base, payload });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<{ _id: string }>()._id;
  };
  const adminCancel = async (a: TestApp, ids: string[]): Promise<void> => {
    const res = await a.app.inject({
      method: "POST",
      url: "/genesys/1/admin/callback/cancel",
      headers: adminAuth,
      payload: { reason: "CANCELLED_BY_ADMIN", ids },
    });
    expect(res.json()).toMatchObject({ cancelled: ids });
  };
  const exportCsv = (a: TestApp, payload: Record<string, unknown>, query = "") =>
    a.app.inject({ method: "POST", url: `${EXPORT}${query}`, headers: adminAuth, payload });

  it("downloads CancelledCallbacks.csv: a header line and one line per COMPLETED/CANCELLED_BY_ADMIN callback, _service_id adding the id column (ExportCallbackRecords)", async () => {
    const group = uniqueService("export");
    const a = await makeApp(t.store, { ...PERMISSIVE, _service_groups: group });
    const b = await makeApp(t.store, { ...PERMISSIVE, _service_groups: group });
    const first = await start(a, { _customer_number: "+16504661100" });
    const second = await start(b, {
      _customer_number: "+16504661101",
      _desired_time: iso(T0 + 3_600_000),
    });
    const byCustomer = await start(a, { _customer_number: "+16504661102" });
    await start(a, { _customer_number: "+16504661103" }); // still queued
    await adminCancel(a, [first]);
    await adminCancel(b, [second]);
    // Cancelled by the customer (DELETE): COMPLETED/CANCELLED, not the admin's reason.
    expect(
      (await a.app.inject({ method: "DELETE", url: `${a.base}/${byCustomer}` })).statusCode,
    ).toBe(200);

    const res = await exportCsv(a, {
      callback_reason: "CANCELLED_BY_ADMIN",
      exported_properties: ["_service_id"],
      services: group,
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers["content-type"]).toBe("text/csv; charset=utf-8");
    expect(res.headers["content-disposition"]).toBe("attachment; filename=CancelledCallbacks.csv");
    expect(res.body).toBe(
      [
        "_callback_state,_callback_reason,_desired_time,_customer_number,_service_name,_service_id",
        `COMPLETED,CANCELLED_BY_ADMIN,${START},+16504661100,${a.serviceName},${first}`,
        `COMPLETED,CANCELLED_BY_ADMIN,${iso(T0 + 3_600_000)},+16504661101,${b.serviceName},${second}`,
        "",
      ].join("\r\n"),
    );

    // Another reason exports the customer's cancellations instead; no body at all is the admin's.
    const byReason = await exportCsv(a, { callback_reason: "CANCELLED" }, `?services=${group}`);
    expect(byReason.body.split("\r\n")).toEqual([
      "_callback_state,_callback_reason,_desired_time,_customer_number,_service_name",
      `COMPLETED,CANCELLED,${START},+16504661102,${a.serviceName}`,
      "",
    ]);
    const bare = await a.app.inject({
      method: "POST",
      url: `${EXPORT}?services=${group}`,
      headers: adminAuth,
    });
    expect(bare.statusCode).toBe(200);
    expect(bare.body.split("\r\n")).toHaveLength(4);
  });

  it("keeps to the desired-time window and the services selector (by name or group), as the other admin endpoints", async () => {
    const group = uniqueService("window");
    const a = await makeApp(t.store, { ...PERMISSIVE, _service_groups: group });
    const b = await makeApp(t.store, { ...PERMISSIVE, _service_groups: group });
    const ids: string[] = [];
    for (const hours of [1, 2, 3]) {
      ids.push(
        await start(a, {
          _customer_number: `+1650466110${hours}`,
          _desired_time: iso(T0 + hours * 3_600_000),
        }),
      );
    }
    await adminCancel(a, ids);
    await adminCancel(b, [await start(b, { _customer_number: "+16504661109" })]);
    const lines = async (payload: Record<string, unknown>): Promise<string[]> => {
      const res = await exportCsv(a, payload);
      expect(res.statusCode, res.body).toBe(200);
      return res.body.trimEnd().split("\r\n").slice(1);
    };
    // Inclusive bounds; epoch milliseconds as a browser's Date gives them are accepted too.
    const window = await lines({
      start_time: iso(T0 + 2 * 3_600_000),
      end_time: T0 + 3 * 3_600_000,
      services: [a.serviceName],
      exported_properties: "_id",
    });
    expect(window.map((line) => line.split(",").at(-1))).toEqual([ids[1], ids[2]]);
    expect(await lines({ services: group })).toHaveLength(4);
    expect(await lines({ services: [b.serviceName] })).toHaveLength(1);
    expect(await lines({ services: uniqueService("nobody") })).toEqual([]);
  });

  it("quotes cells as RFC 4180 and neutralises formulas (= + - @), leaving plain numbers alone", async () => {
    const group = uniqueService("cells");
    const a = await makeApp(t.store, { ...PERMISSIVE, _service_groups: group });
    const id = await start(a, {
      _customer_number: "+16504661100",
      note: 'Call "after 5", please\nthanks',
      formula: '=HYPERLINK("http://evil","x")',
      plus: "+cmd|' /C calc'!A0",
      minus: "-2+3",
      at: "@SUM(A1)",
      count: "-42",
    });
    await adminCancel(a, [id]);
    const res = await exportCsv(a, {
      services: group,
      exported_properties: ["note", "formula", "plus", "minus", "at", "count", "absent"],
    });
    const [header, row] = res.body.split("\r\n");
    expect(header).toBe(
      "_callback_state,_callback_reason,_desired_time,_customer_number,_service_name,note,formula,plus,minus,at,count,absent",
    );
    expect(row).toBe(
      [
        "COMPLETED",
        "CANCELLED_BY_ADMIN",
        START,
        "+16504661100",
        a.serviceName,
        '"Call ""after 5"", please\nthanks"',
        '"\'=HYPERLINK(""http://evil"",""x"")"',
        "'+cmd|' /C calc'!A0",
        "'-2+3",
        "'@SUM(A1)",
        "-42",
        "",
      ].join(","),
    );
  });

  it("refuses a bad body with a 400 naming the field", async () => {
    const a = await makeApp(t.store);
    const cases: [unknown, string][] = [
      [{ callback_reason: "cancelled by admin" }, "callback_reason must be upper-case"],
      [{ callback_reason: 7 }, "callback_reason must be upper-case"],
      [{ exported_properties: [1, 2] }, "exported_properties must be a list of names"],
      [{ exported_properties: { a: 1 } }, "exported_properties must be a list of names"],
      [
        { exported_properties: Array.from({ length: 51 }, (_, i) => `k${i}`) },
        "exported_properties has 51 entries; at most 50",
      ],
      [{ exported_properties: ["ok", "x".repeat(129)] }, "Invalid parameter name"],
      [{ start_time: "yesterday" }, "Invalid start_time [yesterday]"],
      [{ end_time: 1.5 }, "Invalid end_time"],
      [{ start_time: iso(T0), end_time: iso(T0 - 1) }, "end_time is before start_time"],
      [{ services: 3 }, "services must be a list of names"],
      [["CANCELLED_BY_ADMIN"], "The request body must be a JSON object"],
    ];
    for (const [payload, message] of cases) {
      const res = await a.app.inject({
        method: "POST",
        url: EXPORT,
        headers: adminAuth,
        payload: payload as object,
      });
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json()).toMatchObject({ exception: `${GMS}.CallbackExceptionBadRequest` });
      expect(res.json<{ message: string }>().message, JSON.stringify(payload)).toContain(message);
    }
    const twice = await exportCsv(a, { services: "a" }, "?services=b");
    expect(twice.json<{ message: string }>().message).toContain("services is given both");
  });

  it(`refuses more than ${MAX_EXPORT_ROWS} rows, naming the limit`, async () => {
    const a = await makeApp(t.store);
    const service = uniqueService("bulk");
    await t.db.query(
      `INSERT INTO callbacks (id, service_name, state, reason, customer_number, desired_time,
         scheduled, expiration_time, created_at, updated_at, properties)
       SELECT $1 || i, $1, 'COMPLETED', 'CANCELLED_BY_ADMIN', '+16504661100', $2, false, $2, $2, $2, '{}'
       FROM generate_series(0, $3::int) AS i`,
      [service, new Date(T0), MAX_EXPORT_ROWS],
    );
    const res = await exportCsv(a, { services: service });
    expect(res.statusCode).toBe(400);
    expect(res.json<{ message: string }>().message).toBe(
      `The export matches more than ${MAX_EXPORT_ROWS} callbacks (limit maxExportRows): narrow start_time and end_time, or services.`,
    );
    await t.db.query("DELETE FROM callbacks WHERE service_name = $1 AND id <> $1 || '0'", [
      service,
    ]);
    const one = await exportCsv(a, { services: service });
    expect(one.statusCode).toBe(200);
    expect(one.body.trimEnd().split("\r\n")).toHaveLength(2);
  });

  it("takes the admin credentials only: 401 with a service's own, 403 when admin is off", async () => {
    const a = await makeApp(t.store, { ...PERMISSIVE, username: "gms", password: "s3cret" });
    const asService = await a.app.inject({
      method: "POST",
      url: EXPORT,
      headers: { authorization: basic("gms", "s3cret") },
      payload: {},
    });
    expect(asService.statusCode).toBe(401);
    const off = await makeApp(t.store, PERMISSIVE, { admin: false });
    const forbidden = await off.app.inject({
      method: "POST",
      url: EXPORT,
      headers: adminAuth,
      payload: {},
    });
    expect(forbidden.statusCode).toBe(403);
  });
});
