// User-originated flows (issue 17, item 4): the DialNumber dialog with an access number booked from
// the service's pool and an access code, booking expiry and release, the dialog continuation and
// check-queue-position. Sources: gms-reference.md §2 (`_provide_code`, `_booking_expiration_timeout`,
// `_resource_group`, `_userorig_connect_limit`), §3 (UO-Immediate returns access information at
// once), §5 (start answers DialNumber with `_tel_url`); gms-reference-2.md §4.1 (dialog fields, the
// request-access builtin's `_access_code_length` default 6), §4.2 (random and locking allocation,
// reserved for a configurable period), §4.3 (the Android demo's `GET {base}/service/{_id}/{_action}`),
// §4.4 (check-queue-position, the demo's CallbackQueuePosition POJO).
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { builtinCallbackTemplate } from "../../src/api/builtin-callback-template.ts";
import { callbackServiceSchema } from "../../src/api/callback-service.ts";
import { effectiveOptions } from "../../src/render/effective-options.ts";
import type { CallbackRow } from "../../src/callback-api/store.ts";
import { BACKENDS, openStore, type TestStore } from "./support/databases.ts";
import { GMS, PERMISSIVE, START, basic, makeApp, type TestApp } from "./support/app.ts";

const T0 = Date.parse(START);
/** User-Originated-Immediate (the built-in scenario's four values); each test adds its own pool. */
const UO_IMMEDIATE = {
  ...PERMISSIVE,
  _call_direction: "USERORIGINATED",
  _media_type: "voice",
  _wait_for_agent: "false",
  _wait_for_user_confirm: "false",
  _resource_group: "Mobile_DNIS",
  _provide_code: "true",
  _booking_expiration_timeout: "30",
};

/** A dialog as the mobile clients read it (gms-reference-2.md §4.1). */
interface Dialog {
  readonly [key: string]: string | undefined;
  readonly _id: string;
  readonly _action?: string;
  readonly _tel_url?: string;
  readonly _access_number?: string;
  readonly _access_code?: string;
  readonly _label?: string;
}

async function start(a: TestApp, payload: Record<string, string> = { _customer_number: "5115" }) {
  return a.app.inject({ method: "POST", url: a.base, payload });
}

function get(a: TestApp, path: string, headers: Record<string, string> = {}) {
  return a.app.inject({ method: "GET", url: `/genesys/1/service/${path}`, headers });
}

async function query(a: TestApp): Promise<Record<string, string>[]> {
  return (await a.app.inject({ method: "GET", url: a.base })).json();
}

describe.each(BACKENDS)("user-originated flows on %s", (backend) => {
  let t: TestStore;
  beforeAll(async () => {
    t = await openStore(backend);
  });
  afterAll(async () => {
    await t.close();
  });

  it("answers a UO-Immediate start with DialNumber: a pool number as _tel_url and a 6-digit access code (gms-reference.md §3, §5; -2 §4.1)", async () => {
    const pool = uniquePool(3);
    const a = await makeApp(t.store, { ...UO_IMMEDIATE, _access_numbers: pool.join(", ") });
    const res = await start(a);
    expect(res.statusCode).toBe(200);
    const dialog = res.json<Dialog>();
    expect(dialog).toMatchObject({
      _action: "DialNumber",
      _dialog_id: "0",
      _resource_group: "Mobile_DNIS",
      _expiration_time: "30",
    });
    expect(dialog._id).toMatch(/^[0-9A-F]{32}$/);
    expect(pool.map((n) => `tel:${n}`)).toContain(dialog._tel_url);
    expect(dialog._access_number).toBe(dialog._tel_url?.slice(4));
    expect(dialog._access_code).toMatch(/^\d{6}$/);
    expect(dialog._label).toContain(dialog._access_code);
    const [record] = await query(a);
    expect(record).toMatchObject({
      _id: dialog._id,
      _callback_state: "QUEUED",
      _access_number: dialog._access_number,
      _access_code: dialog._access_code,
      _access_expiration_time: new Date(T0 + 30_000).toISOString(),
    });
  });

  it("gives no code without _provide_code, and _access_code_length digits with it (request-access: default 6)", async () => {
    const pool = uniquePool(3).join(",");
    const a = await makeApp(t.store, {
      ...UO_IMMEDIATE,
      _access_numbers: pool,
      _provide_code: "false",
    });
    const plain = (await start(a)).json<Dialog>();
    expect(plain._action).toBe("DialNumber");
    expect(plain).not.toHaveProperty("_access_code");
    expect(plain._label).toBe(`Call ${plain._access_number}`);
    await a.setOptions({ ...UO_IMMEDIATE, _access_numbers: pool, _access_code_length: "4" });
    expect((await start(a, { _customer_number: "5116" })).json()).toMatchObject({
      _access_code: expect.stringMatching(/^\d{4}$/) as unknown,
    });
    await a.setOptions({ ...UO_IMMEDIATE, _access_numbers: pool, _access_code_length: "0" });
    const zero = await start(a, { _customer_number: "5117" });
    expect(zero.statusCode).toBe(503);
    expect(zero.json<{ message: string }>().message).toContain("_access_code_length");
  });

  it("answers ConfirmationDialog where GMS returns no access information at start: UO-Delayed, scheduled UO, user-terminated (gms-reference.md §2 _wait_for_agent, §3)", async () => {
    const delayed = await makeApp(t.store, { ...UO_IMMEDIATE, _wait_for_agent: "true" });
    expect((await start(delayed)).json()).toMatchObject({ _action: "ConfirmationDialog" });
    const scheduled = await start(delayed, {
      _customer_number: "5116",
      _desired_time: new Date(T0 + 3_600_000).toISOString(),
    });
    expect(scheduled.json()).toMatchObject({ _action: "ConfirmationDialog" });
    const ut = await makeApp(t.store, { ...UO_IMMEDIATE, _call_direction: "USERTERMINATED" });
    expect((await start(ut)).json()).toMatchObject({ _action: "ConfirmationDialog" });
    const [record] = await query(ut);
    expect(record).not.toHaveProperty("_access_number");
  });

  it("refuses a start with 503 when every number is booked, stores nothing, and books again once a booking expires (-2 §4.2)", async () => {
    const pool = uniquePool(2);
    const a = await makeApp(t.store, { ...UO_IMMEDIATE, _access_numbers: pool.join(",") });
    const first = (await start(a, { _customer_number: "5201" })).json<Dialog>();
    const second = (await start(a, { _customer_number: "5202" })).json<Dialog>();
    expect([first._access_number, second._access_number].sort()).toEqual([...pool].sort());
    const full = await start(a, { _customer_number: "5203" });
    expect(full.statusCode).toBe(503);
    expect(full.json()).toMatchObject({
      exception: `${GMS}.CallbackExceptionServiceUnavailable`,
      message: `All 2 access numbers of resource group Mobile_DNIS are booked. The first is free again at ${new Date(T0 + 30_000).toISOString()}. Check option _access_numbers`,
    });
    expect(await query(a)).toHaveLength(2);
    a.clock.advance(29_999);
    expect((await start(a, { _customer_number: "5203" })).statusCode).toBe(503);
    a.clock.advance(1);
    const again = await start(a, { _customer_number: "5203" });
    expect(again.statusCode).toBe(200);
    expect(pool).toContain(again.json<Dialog>()._access_number);
  });

  it("returns a cancelled callback's number to the pool at once", async () => {
    const pool = uniquePool(1);
    const a = await makeApp(t.store, { ...UO_IMMEDIATE, _access_numbers: pool[0] ?? "" });
    const { _id } = (await start(a, { _customer_number: "5301" })).json<{ _id: string }>();
    expect((await start(a, { _customer_number: "5302" })).statusCode).toBe(503);
    expect((await a.app.inject({ method: "DELETE", url: `${a.base}/${_id}` })).statusCode).toBe(
      200,
    );
    expect((await start(a, { _customer_number: "5302" })).json()).toMatchObject({
      _tel_url: `tel:${pool[0] ?? ""}`,
    });
  });

  it("returns the number to the pool when the orchestration reports the call taken (PROCESSING; -2 §4.2 match-interaction)", async () => {
    const pool = uniquePool(1);
    const a = await makeApp(t.store, { ...UO_IMMEDIATE, _access_numbers: pool[0] ?? "" });
    const { _id } = (await start(a, { _customer_number: "5311" })).json<{ _id: string }>();
    expect((await start(a, { _customer_number: "5312" })).statusCode).toBe(503);
    const put = await a.app.inject({
      method: "PUT",
      url: `${a.base}/${_id}`,
      payload: { _callback_state: "PROCESSING" },
    });
    expect(put.statusCode).toBe(200);
    expect((await start(a, { _customer_number: "5312" })).statusCode).toBe(200);
  });

  it("never books one number twice, and books every free one, across services starting at once (one pool per database)", async () => {
    // Starts of one service take turns on its rate lock: twelve services start side by side, as
    // many as the pool has numbers, so a start refused while a number was free would show.
    const pool = uniquePool(12);
    const options = { ...UO_IMMEDIATE, _access_numbers: pool.join(",") };
    const apps = await Promise.all(Array.from({ length: 12 }, () => makeApp(t.store, options)));
    const results = await Promise.all(
      apps.map((a, i) => start(a, { _customer_number: String(6000 + i) })),
    );
    expect(results.map((r) => r.statusCode)).toEqual(apps.map(() => 200));
    const booked = results.map((r) => r.json<Dialog>()._access_number);
    expect(booked.sort()).toEqual([...pool].sort());
    expect((await start(apps[0] as TestApp, { _customer_number: "6100" })).statusCode).toBe(503);
  });

  it("refuses a UO start with 503 naming _access_numbers when the pool is empty or not dialable", async () => {
    const a = await makeApp(t.store, { ...UO_IMMEDIATE, _access_numbers: "" });
    const empty = await start(a);
    expect(empty.statusCode).toBe(503);
    expect(empty.json<{ message: string }>().message).toBe(
      `Resource group Mobile_DNIS has no access numbers: set option _access_numbers for service ${a.serviceName}.`,
    );
    await a.setOptions({ ...UO_IMMEDIATE, _access_numbers: "+18005550100, call us" });
    expect((await start(a)).json<{ message: string }>().message).toContain(
      'Option _access_numbers holds 1 entry that cannot be dialled ("call us")',
    );
    expect(await query(a)).toHaveLength(0);
  });

  it("continues a dialog by id: DialNumber books again up to _userorig_connect_limit, ConfirmationDialog repeats (-2 §4.3)", async () => {
    const a = await makeApp(t.store, {
      ...UO_IMMEDIATE,
      _access_numbers: uniquePool(3).join(","),
      _userorig_connect_limit: "2",
    });
    const { _id } = (await start(a)).json<{ _id: string }>();
    a.clock.advance(60_000);
    const again = await get(a, `${_id}/DialNumber`);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({
      _id,
      _action: "DialNumber",
      _access_code: expect.stringMatching(/^\d{6}$/) as unknown,
    });
    const [record] = await query(a);
    expect(record).toMatchObject({
      _access_number: again.json<Dialog>()._access_number,
      _userorig_connect_count: "2",
      _access_expiration_time: new Date(T0 + 90_000).toISOString(),
    });
    const third = await a.app.inject({
      method: "POST",
      url: `/genesys/1/service/${_id}/DialNumber`,
    });
    expect(third.statusCode).toBe(400);
    expect(third.json<{ message: string }>().message).toContain("_userorig_connect_limit allows 2");
    expect((await get(a, `${_id}/ConfirmationDialog`)).json()).toMatchObject({
      _id,
      _action: "ConfirmationDialog",
    });
    const unknown = await get(a, `${_id}/StartChat`);
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json<{ message: string }>().message).toContain("expected DialNumber");
  });

  it("keeps a callback handed over to the orchestration (ROUTED) open: a new number on DialNumber, found by _access_number as match-interaction would (-2 §4.2, §4.4)", async () => {
    const a = await makeApp(t.store, { ...UO_IMMEDIATE, _access_numbers: uniquePool(2).join(",") });
    const { _id } = (await start(a)).json<{ _id: string }>();
    const now = a.clock.now();
    const [claimed] = await t.store.claim(a.serviceName, "worker-1", now, {
      ms: 60_000,
      limit: 1,
      onlyWithOwnOrs: false,
    });
    expect(claimed?.id).toBe(_id);
    expect(await t.store.finishClaim(claimed as CallbackRow, "worker-1", "ROUTED", now)).toBe(true);
    expect((await get(a, `${_id}/check-queue-position`)).json()).toEqual({
      _position: "0",
      _eta: "0",
      _total_waiting: "0",
      _agent_ready_threshold_passed: true,
    });
    a.clock.advance(31_000);
    const again = (await get(a, `${_id}/DialNumber`)).json<Dialog>();
    expect(again._action).toBe("DialNumber");
    const found = await a.app.inject({
      method: "GET",
      url: `${a.base}?_access_number=${encodeURIComponent(again._access_number ?? "")}`,
    });
    expect(found.json()).toMatchObject([{ _id, _access_code: again._access_code }]);
  });

  it("gives a UO-Delayed callback its number through the continuation, and refuses DialNumber to user-terminated services", async () => {
    const delayed = await makeApp(t.store, {
      ...UO_IMMEDIATE,
      _wait_for_agent: "true",
      _access_numbers: uniquePool(1).join(","),
    });
    const { _id } = (await start(delayed)).json<{ _id: string }>();
    expect((await get(delayed, `${_id}/DialNumber`)).json()).toMatchObject({
      _action: "DialNumber",
    });
    const ut = await makeApp(t.store, { ...UO_IMMEDIATE, _call_direction: "USERTERMINATED" });
    const utId = (await start(ut)).json<{ _id: string }>()._id;
    const refused = await get(ut, `${utId}/DialNumber`);
    expect(refused.statusCode).toBe(400);
    expect(refused.json<{ message: string }>().message).toContain("Check option _call_direction");
  });

  it("answers by id only for the owning service's credentials: another service's id is 404, no credentials 401 (ADR 0050)", async () => {
    const owner = await makeApp(t.store, {
      ...UO_IMMEDIATE,
      _access_numbers: uniquePool(2).join(","),
      username: "owner",
      password: "owner-secret",
    });
    const other = await makeApp(t.store, { ...UO_IMMEDIATE, username: "other", password: "x" });
    const auth = { authorization: basic("owner", "owner-secret") };
    const res = await owner.app.inject({
      method: "POST",
      url: owner.base,
      payload: { _customer_number: "5115" },
      headers: auth,
    });
    const { _id } = res.json<{ _id: string }>();
    expect((await get(owner, `${_id}/check-queue-position`)).statusCode).toBe(401);
    expect((await get(owner, `${_id}/check-queue-position`, auth)).statusCode).toBe(200);
    for (const path of [
      `${_id}/check-queue-position`,
      `${_id}/DialNumber`,
      `${_id}/ConfirmationDialog`,
    ]) {
      const leak = await get(other, path, { authorization: basic("other", "x") });
      expect(leak.statusCode, path).toBe(404);
      expect(leak.json<{ message: string }>().message).toBe(
        `Callback ${_id} is not found in service ${other.serviceName}.`,
      );
    }
    expect((await get(owner, "NOSUCHID/check-queue-position", auth)).statusCode).toBe(404);
  });

  it("reports the queue position as the Android demo's CallbackQueuePosition reads it (-2 §4.4)", async () => {
    const a = await makeApp(t.store, { ...PERMISSIVE, _call_direction: "USERTERMINATED" });
    const ids: string[] = [];
    for (const n of ["5401", "5402", "5403"]) {
      ids.push((await start(a, { _customer_number: n })).json<{ _id: string }>()._id);
      a.clock.advance(1_000);
    }
    const second: unknown = (await get(a, `${ids[1] ?? ""}/check-queue-position`)).json();
    expect(second).toEqual({
      _position: "2",
      _eta: "-1",
      _total_waiting: "3",
      _agent_ready_threshold_passed: false,
    });
    // The first is connected after 60 s: the estimate is 60 s per place ahead, itself included.
    a.clock.advance(57_000);
    const put = (id: string, state: string) =>
      a.app.inject({ method: "PUT", url: `${a.base}/${id}`, payload: { _callback_state: state } });
    expect((await put(ids[0] ?? "", "COMPLETED")).statusCode).toBe(200);
    expect((await get(a, `${ids[2] ?? ""}/check-queue-position`)).json()).toEqual({
      _position: "2",
      _eta: "120",
      _total_waiting: "2",
      _agent_ready_threshold_passed: false,
    });
    expect((await put(ids[1] ?? "", "PROCESSING")).statusCode).toBe(200);
    expect((await get(a, `${ids[1] ?? ""}/check-queue-position`)).json()).toMatchObject({
      _position: "0",
      _agent_ready_threshold_passed: true,
    });
    const completed = await get(a, `${ids[0] ?? ""}/check-queue-position`);
    expect(completed.statusCode).toBe(400);
    const scheduled = await start(a, {
      _customer_number: "5404",
      _desired_time: new Date(a.clock.now() + 3_600_000).toISOString(),
    });
    const { _id } = scheduled.json<{ _id: string }>();
    expect((await get(a, `${_id}/check-queue-position`)).json()).toMatchObject({
      _position: "0",
      _eta: "3600",
    });
  });

  it("makes examples/callback-for-mobile.yaml answer DialNumber with an access code, as it promises", async () => {
    const document = parse(
      readFileSync(new URL("../../examples/callback-for-mobile.yaml", import.meta.url), "utf8"),
    ) as unknown;
    const example = callbackServiceSchema.parse(document);
    const template = builtinCallbackTemplate.spec;
    const scenario = template.scenarios.find((s) => s.name === example.spec.scenario);
    const effective = effectiveOptions(example.spec, template, scenario?.values ?? {});
    expect(effective.errors).toEqual([]);
    const a = await makeApp(
      t.store,
      { ...effective.options, ...PERMISSIVE, password: "mobile-secret" },
      { serviceName: example.metadata.name },
    );
    const res = await a.app.inject({
      method: "POST",
      url: a.base,
      payload: { _customer_number: "+16504661100" },
      headers: { authorization: basic("mobile-app", "mobile-secret") },
    });
    expect(res.statusCode).toBe(200);
    const dialog = res.json<Dialog>();
    expect(dialog).toMatchObject({ _action: "DialNumber", _resource_group: "Mobile_DNIS" });
    expect(["tel:+18005550100", "tel:+18005550101", "tel:+18005550102"]).toContain(dialog._tel_url);
    expect(dialog._access_code).toMatch(/^\d{6}$/);
  });
});

/** Numbers no other test books: the pool is one per database, shared by every service in it. */
function uniquePool(size: number): string[] {
  const base = 1_000_000 + Math.floor(Math.random() * 8_000_000);
  return Array.from({ length: size }, (_, i) => `+1800${String(base + i).padStart(7, "0")}`);
}
