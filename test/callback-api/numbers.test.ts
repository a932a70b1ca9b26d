// Issue 12, item 3: one customer number written many ways is one number for every rule (in-queue
// checking, the daily throttle, their locks), is stored and dispatched in E.164, and is found by a
// query in any of its forms. Free text around a number, extensions and two numbers are refused.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { foldDigits } from "../../src/callback-api/phone.ts";
import { BACKENDS, openStore, type TestStore } from "./support/databases.ts";
import { GMS, PERMISSIVE, makeApp, type TestApp } from "./support/app.ts";

/** One US number, as a careless integrator or an attacker might write it. */
const FORMS = [
  "+16504661100",
  "6504661100",
  "(650) 466-1100",
  "650.466.1100",
  "650-466-1100",
  "1 650 466 1100",
  "+1 (650) 466-1100",
  "tel:+1-650-466-1100",
  "TEL:+16504661100",
  " +1 650 466 1100 ",
  "\u00a0650\u00a0466\u00a01100",
  "６５０４６６１１００", // fullwidth
  "٦٥٠٤٦٦١١٠٠", // Arabic-Indic
  "۶۵۰۴۶۶۱۱۰۰", // Extended Arabic-Indic
  "६५०४६६११००", // Devanagari
  "+1\u2011650\u2011466\u20111100", // non-breaking hyphens
  "＋１ ６５０ ４６６ １１００",
];
const E164 = "+16504661100";

const REFUSED = [
  "650 466 1100 ext. 12",
  "650 466 1100 x12",
  "tel:+16504661100;ext=12",
  "tel:6504661100;phone-context=+1",
  "call me at 650 466 1100",
  "+1 650 466 1100 please",
  "650 466 1100, 650 466 1101",
  "+1 650 466 1100 +1 650 466 1101",
  "1-800-FLOWERS",
  "6504661100#",
  "'; DROP TABLE callbacks; --",
  "+",
  "()",
  "abc",
];

describe.each(BACKENDS)("customer numbers on %s", (backend) => {
  let t: TestStore;
  beforeAll(async () => {
    t = await openStore(backend);
  });
  afterAll(async () => {
    await t.close();
  });

  const start = (a: TestApp, payload: Record<string, string>) =>
    a.app.inject({ method: "POST", url: a.base, payload });

  it("folds every script's digits to ASCII", () => {
    expect(foldDigits("٠١٢٣٤٥٦٧٨٩ ०१२३४५६७८९ ０１２３４５６７８９ 𝟎𝟏𝟐")).toBe(
      "0123456789 0123456789 0123456789 012",
    );
  });

  it("stores, returns and dispatches each form of one number as its E.164 form", async () => {
    const a = await makeApp(t.store, {
      _default_country: "US",
      _enable_in_queue_checking: "false",
      _throttle_request_parameters_limit: "1000",
    });
    for (const form of FORMS) {
      const res = await start(a, { _customer_number: form });
      expect(res.statusCode, `${form}: ${res.body}`).toBe(200);
      const row = await t.store.getById(res.json<{ _id: string }>()._id);
      expect(row?.customerNumber, form).toBe(E164);
    }
  });

  it("counts every form as one number for in-queue checking (at most 2 active)", async () => {
    const a = await makeApp(t.store, {
      _default_country: "US",
      _throttle_request_parameters_limit: "1000",
    });
    const answers = [];
    for (const form of FORMS) answers.push((await start(a, { _customer_number: form })).statusCode);
    expect(answers.filter((status) => status === 200)).toHaveLength(2);
    const refused = await start(a, { _customer_number: FORMS[5] ?? "" });
    expect(refused.json()).toMatchObject({ exception: `${GMS}.CallbackExceptionAlreadyQueued` });
  });

  it("counts every form as one number for the daily throttle (6 a day)", async () => {
    const a = await makeApp(t.store, {
      _default_country: "US",
      _enable_in_queue_checking: "false",
    });
    const answers = [];
    for (const form of FORMS) answers.push((await start(a, { _customer_number: form })).statusCode);
    expect(answers.filter((status) => status === 200)).toHaveLength(6);
    expect(answers.filter((status) => status === 503)).toHaveLength(FORMS.length - 6);
  });

  it("refuses extensions, free text and two numbers with CallbackExceptionNumber naming the option", async () => {
    const a = await makeApp(t.store, PERMISSIVE);
    for (const text of REFUSED) {
      const res = await start(a, { _customer_number: text });
      expect(res.statusCode, text).toBe(400);
      expect(res.json(), text).toMatchObject({
        exception: `${GMS}.CallbackExceptionNumber`,
        message: expect.stringContaining("_customer_number") as unknown,
      });
    }
    const rows = await t.store.query({
      serviceNames: [a.serviceName],
      filters: [],
      operand: "AND",
      limit: 10,
    });
    expect(rows).toEqual([]);
  });

  it("keeps a canonical form with _disallow_impossible_phone_numbers=false, never the raw text", async () => {
    const a = await makeApp(t.store, PERMISSIVE);
    for (const [text, stored] of [
      ["5115", "+15115"],
      ["51-15", "+15115"],
      ["tel:5115", "+15115"],
      ["+44 20 7946 0958", "+442079460958"],
    ] as const) {
      const res = await start(a, { _customer_number: text });
      expect(res.statusCode, res.body).toBe(200);
      expect((await t.store.getById(res.json<{ _id: string }>()._id))?.customerNumber).toBe(stored);
    }
  });

  it("needs a country for national numbers: _default_country empty refuses them, names the option", async () => {
    const a = await makeApp(t.store, { ...PERMISSIVE, _default_country: "" });
    const national = await start(a, { _customer_number: "6504661100" });
    expect(national.statusCode).toBe(400);
    expect(national.json<{ message: string }>().message).toContain("_default_country");
    expect((await start(a, { _customer_number: "+16504661100" })).statusCode).toBe(200);
  });

  it("finds records by any form of their number, on the service and across services", async () => {
    const a = await makeApp(t.store, PERMISSIVE);
    const id = (await start(a, { _customer_number: "+16504661100" })).json<{ _id: string }>()._id;
    for (const form of FORMS) {
      const q = encodeURIComponent(form);
      for (const url of [
        `${a.base}?_customer_number=${q}`,
        `/genesys/1/service/callback?_customer_number=${q}`,
      ]) {
        const found = (await a.app.inject({ url })).json<{ _id: string }[]>().map((r) => r._id);
        expect(found, url).toContain(id);
      }
      const negated = (await a.app.inject({ url: `${a.base}?_customer_number=!${q}` })).json<
        { _id: string }[]
      >();
      expect(negated.map((r) => r._id)).not.toContain(id);
    }
    const text = await a.app.inject({ url: `${a.base}?_customer_number=not-a-number` });
    expect(text.json()).toEqual([]);
  });

  it("compares other throttle parameters after Unicode NFC and trimming", async () => {
    const a = await makeApp(t.store, {
      ...PERMISSIVE,
      _throttle_request_parameters: "user_id",
      _throttle_request_parameters_limit: "2",
    });
    const composed = "Jos\u00e9";
    const decomposed = "Jose\u0301";
    expect((await start(a, { _customer_number: "5001", user_id: composed })).statusCode).toBe(200);
    expect(
      (await start(a, { _customer_number: "5002", user_id: ` ${decomposed}\t` })).statusCode,
    ).toBe(200);
    const third = await start(a, { _customer_number: "5003", user_id: decomposed });
    expect(third.statusCode).toBe(503);
    expect(third.json<{ message: string }>().message).toContain(`user_id=${composed}`);
  });

  it("keeps the E.164 number in the throttle's and the rule locks' keys", async () => {
    const a = await makeApp(t.store, { ...PERMISSIVE, _throttle_request_parameters_limit: "5" });
    for (const form of FORMS.slice(0, 3))
      expect((await start(a, { _customer_number: form })).statusCode).toBe(200);
    const rows = await t.db.query<{ value: string; count: number }>(
      "SELECT value, count FROM throttle_counters WHERE service_name = $1",
      [a.serviceName],
    );
    expect(rows).toEqual([{ value: E164, count: 3 }]);
  });
});
