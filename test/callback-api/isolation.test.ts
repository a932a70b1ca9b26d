// Issue 12, item 1: a caller sees and changes only the records of the services whose credentials it
// presented. Several services share one store (as they share one PostgreSQL database); each server
// answers for its own, the admin sees all, and a service without credentials is no way into others.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, openStore, type TestStore } from "./support/databases.ts";
import { GMS, PERMISSIVE, adminAuth, basic, makeApp, type TestApp } from "./support/app.ts";

const ACROSS = "/genesys/1/service/callback";

describe.each(BACKENDS)("tenant isolation on %s", (backend) => {
  let t: TestStore;
  let locked: TestApp;
  let other: TestApp;
  let open: TestApp;
  const asLocked = { authorization: basic("locked-user", "locked-secret") };
  const asOther = { authorization: basic("other-user", "other-secret") };
  const ids: Record<string, string> = {};
  const number = "+16504661100";

  beforeAll(async () => {
    t = await openStore(backend);
    locked = await makeApp(t.store, {
      ...PERMISSIVE,
      username: "locked-user",
      password: "locked-secret",
    });
    other = await makeApp(t.store, {
      ...PERMISSIVE,
      username: "other-user",
      password: "other-secret",
    });
    open = await makeApp(t.store, PERMISSIVE);
    for (const [name, a, headers] of [
      ["locked", locked, asLocked],
      ["other", other, asOther],
      ["open", open, {}],
    ] as const) {
      const res = await a.app.inject({
        method: "POST",
        url: a.base,
        headers,
        payload: { _customer_number: number, secret: `${name}-data` },
      });
      expect(res.statusCode).toBe(200);
      ids[name] = res.json<{ _id: string }>()._id;
    }
  });
  afterAll(async () => {
    await t.close();
  });

  const names = async (a: TestApp, query: string, headers: Record<string, string>) => {
    const res = await a.app.inject({ url: `${ACROSS}?${query}`, headers });
    expect(res.statusCode, res.body).toBe(200);
    return res
      .json<{ _service_name: string }[]>()
      .map((row) => row._service_name)
      .sort();
  };

  it("answers the cross-service query with the caller's own service only", async () => {
    const byNumber = `_customer_number=${encodeURIComponent(number)}`;
    expect(await names(locked, byNumber, asLocked)).toEqual([locked.serviceName]);
    expect(await names(other, byNumber, asOther)).toEqual([other.serviceName]);
    // Another service's id is not there, as an unknown one is not: 200 [] rather than 403.
    expect(await names(locked, `_id=${ids["other"] ?? ""}`, asLocked)).toEqual([]);
    expect(await names(locked, `_id=${ids["locked"] ?? ""}`, asLocked)).toEqual([
      locked.serviceName,
    ]);
    // A filter on the service name cannot widen it either.
    expect(await names(locked, `_service_name=${other.serviceName}`, asLocked)).toEqual([]);
    expect(
      await names(locked, `_service_name=${other.serviceName}&operand=OR&x=1`, asLocked),
    ).toEqual([]);
  });

  it("never lets a service without credentials into the others' records", async () => {
    const byNumber = `_customer_number=${encodeURIComponent(number)}`;
    expect(await names(open, byNumber, {})).toEqual([open.serviceName]);
    expect(await names(open, `_id=${ids["locked"] ?? ""}`, {})).toEqual([]);
    // Another service's credentials on it change nothing.
    expect(await names(open, byNumber, asLocked)).toEqual([open.serviceName]);
  });

  it("shows every service in the store to the admin credentials", async () => {
    const byNumber = `_customer_number=${encodeURIComponent(number)}`;
    const all = [locked.serviceName, other.serviceName, open.serviceName].sort();
    for (const a of [locked, other, open]) {
      expect((await names(a, byNumber, adminAuth)).filter((n) => all.includes(n))).toEqual(all);
    }
  });

  it("refuses another service's credentials on a service's endpoints (401)", async () => {
    for (const [method, url] of [
      ["GET", `${ACROSS}?_id=${ids["locked"] ?? ""}`],
      ["GET", locked.base],
      ["PUT", `${locked.base}/${ids["locked"] ?? ""}`],
      ["DELETE", `${locked.base}/${ids["locked"] ?? ""}`],
    ] as const) {
      const res = await locked.app.inject({
        method,
        url,
        headers: asOther,
        ...(method === "PUT" ? { payload: { note: "x" } } : {}),
      });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ exception: `${GMS}.CallbackExceptionUnauthorized` });
    }
  });

  it("treats another service's ids as not found on PUT and DELETE (404), and changes nothing", async () => {
    const foreign = ids["other"] ?? "";
    const before = await t.store.getById(foreign);
    for (const [a, headers] of [
      [locked, asLocked],
      [open, {}],
      [open, adminAuth],
    ] as const) {
      const put = await a.app.inject({
        method: "PUT",
        url: `${a.base}/${foreign}`,
        headers,
        payload: { secret: "overwritten", _callback_state: "COMPLETED" },
      });
      expect(put.statusCode).toBe(404);
      expect(put.json()).toMatchObject({ exception: `${GMS}.CallbackExceptionNotFound` });
      const del = await a.app.inject({ method: "DELETE", url: `${a.base}/${foreign}`, headers });
      expect(del.statusCode).toBe(404);
    }
    expect(await t.store.getById(foreign)).toEqual(before);
  });

  it("keeps the service-path query to its own service, whoever asks", async () => {
    for (const headers of [asLocked, adminAuth]) {
      const res = await locked.app.inject({ url: `${locked.base}?secret=other-data`, headers });
      expect(res.json()).toEqual([]);
    }
  });
});
