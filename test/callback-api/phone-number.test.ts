// The GMS Phone Number Validation API, GET /genesys/1/phonenumber (gms-reference-2.md §7.1;
// https://docs.genesys.com/Documentation/GMS/latest/API/PhoneNumberValidationAPI; Genesys'
// GMS_Phone_Validation_Service_API_Tests for the 400 and its message). It reads no storage, so it
// runs on PGlite only.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore, type TestStore } from "./support/databases.ts";
import { PERMISSIVE, adminAuth, basic, makeApp, type TestApp } from "./support/app.ts";

const GSG = "com.genesyslab.gsg.GSGException";

let t: TestStore;
let api: TestApp;
beforeAll(async () => {
  t = await openStore("pglite");
  api = await makeApp(t.store);
});
afterAll(async () => {
  await t.close();
});

const get = (query: string, headers: Record<string, string> = {}) =>
  api.app.inject({ url: `/genesys/1/phonenumber?${query}`, headers });

describe("GET /genesys/1/phonenumber", () => {
  it("parses with country US by default: 06 04 12 04 05 is invalid unless country=FR (GMS doc)", async () => {
    const us = await get(`number=${encodeURIComponent("06 04 12 04 05")}`);
    expect(us.statusCode).toBe(200);
    expect(us.json()).toMatchObject({
      "number-specified": "06 04 12 04 05",
      "country-default": "US",
      "valid-number": false,
      "region-code": "",
      location: "",
    });
    const fr = await get(`number=${encodeURIComponent("06 04 12 04 05")}&country=FR`);
    expect(fr.json()).toEqual({
      "language-specified": "en",
      "number-specified": "06 04 12 04 05",
      "country-default": "FR",
      "e164-format": "+33604120405",
      "international-format": "+33 6 04 12 04 05",
      "national-format": "06 04 12 04 05",
      "number-type": "MOBILE",
      "valid-number": true,
      "possible-number": true,
      "premium-number": false,
      "country-code": 33,
      "region-code": "FR",
      location: "France",
    });
  });

  it("names the region in geocodingLocale: FR → France, DE → Frankreich (GMS doc)", async () => {
    const number = encodeURIComponent("+33 6 04 12 04 05");
    const fr = await get(`number=${number}&geocodingLocale=FR`);
    expect(fr.json()).toMatchObject({ "language-specified": "fr", location: "France" });
    const de = await get(`number=${number}&geocodingLocale=DE`);
    expect(de.json()).toMatchObject({ "language-specified": "de", location: "Frankreich" });
  });

  it("flags a premium-rate number (the start request's _disallow_premium_phone_numbers example)", async () => {
    const res = await get("number=%2B19005551234");
    expect(res.json()).toMatchObject({
      "e164-format": "+19005551234",
      "national-format": "(900) 555-1234",
      "number-type": "PREMIUM_RATE",
      "premium-number": true,
      "valid-number": true,
      "country-code": 1,
      "region-code": "US",
      location: "United States",
    });
  });

  it("answers 400 GSGException 'Invalid Phone Number bad for Country DE (parsing impossible)' (GMS_Phone_Validation_Service_API_Tests)", async () => {
    const res = await get("number=bad&country=DE");
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      code: 400,
      message: "Invalid Phone Number bad for Country DE (parsing impossible)",
      exception: GSG,
    });
    // A national number with a country libphonenumber does not know cannot be parsed either.
    const unknownCountry = await get("number=0604120405&country=XX");
    expect(unknownCountry.json()).toMatchObject({
      message: "Invalid Phone Number 0604120405 for Country XX (parsing impossible)",
    });
  });

  it("refuses a missing number and each parameter past its bound, naming it (400)", async () => {
    const cases: [string, string][] = [
      ["country=FR", "Parameter number is required"],
      [`number=${"1".repeat(65)}`, "Invalid parameter number: at most 64 characters, got 65"],
      ["number=5115&country=FRA", "Invalid parameter country: at most 2 characters"],
      ["number=5115&country=F1", "Invalid parameter country [F1]: expected an ISO 3166"],
      [
        `number=5115&geocodingLocale=${"a".repeat(36)}`,
        "Invalid parameter geocodingLocale: at most 35",
      ],
      [
        "number=5115&geocodingLocale=not_a_locale",
        "Invalid parameter geocodingLocale [not_a_locale]",
      ],
      ["number=5115&number=5116", 'Query parameter "number" is given more than once'],
    ];
    for (const [query, message] of cases) {
      const res = await get(query);
      expect(res.statusCode, query).toBe(400);
      expect(res.json<{ message: string }>().message, query).toContain(message);
    }
  });

  it("takes this service's credentials or the admin's, as the service's other endpoints (401 else)", async () => {
    const guarded = await makeApp(t.store, { ...PERMISSIVE, username: "gms", password: "s3cret" });
    const url = "/genesys/1/phonenumber?number=%2B33604120405";
    expect((await guarded.app.inject({ url })).statusCode).toBe(401);
    expect(
      (await guarded.app.inject({ url, headers: { authorization: basic("gms", "wrong") } }))
        .statusCode,
    ).toBe(401);
    expect(
      (await guarded.app.inject({ url, headers: { authorization: basic("gms", "s3cret") } }))
        .statusCode,
    ).toBe(200);
    expect((await guarded.app.inject({ url, headers: adminAuth })).statusCode).toBe(200);
  });
});
