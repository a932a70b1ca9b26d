// Issue 12, items 4 and 6: input that used to reach SQL text, crash a handler or grow a record
// without bound. Built-in names as keys stay plain keys and never become SQL; control characters,
// NUL and lone surrogates are refused with a 400 naming the parameter; nesting, properties and bytes
// per record and filters per query are bounded; errors and request logs carry no user data.
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../src/callback-api/app.ts";
import { ManualClock } from "../../src/runtime/clock.ts";
import { DatabaseError } from "../../src/callback-api/database.ts";
import { resolveOptions } from "../../src/callback-api/options.ts";
import { LIMITS } from "../../src/callback-api/request-params.ts";
import { Store } from "../../src/callback-api/store.ts";
import { BACKENDS, openStore, type TestStore } from "./support/databases.ts";
import {
  GMS,
  PERMISSIVE,
  START,
  adminAuth,
  makeApp,
  uniqueService,
  type TestApp,
} from "./support/app.ts";
import {
  BUILTIN_NAMES,
  LEAK_MARKERS,
  recording,
  statementsHolding,
  type RecordingDatabase,
} from "./support/recording-database.ts";

const BAD_TEXT: [string, string][] = [
  ["NUL", "a\u0000b"],
  ["bell", "a\u0007b"],
  ["escape", "\u001b[31mred"],
  ["DEL", "a\u007fb"],
  ["C1", "a\u0085b"],
  ["lone high surrogate", "a\ud800b"],
  ["lone low surrogate", "\udc00"],
  ["reversed pair", "\udc00\ud800"],
];

describe.each(BACKENDS)("hostile values on %s", (backend) => {
  let t: TestStore;
  let rec: RecordingDatabase;
  let store: Store;
  let a: TestApp;
  beforeAll(async () => {
    t = await openStore(backend);
    rec = recording(t.db);
    store = new Store(rec.db);
    a = await makeApp(store, PERMISSIVE);
  });
  afterAll(async () => {
    await t.close();
  });

  const start = (payload: Record<string, unknown>) =>
    a.app.inject({
      method: "POST",
      url: a.base,
      payload: { _customer_number: "5115", ...payload },
    });

  it("keeps built-in names as plain keys: stored, queried, and never part of any SQL text", async () => {
    rec.statements.clear();
    for (const name of BUILTIN_NAMES) {
      // `__proto__` cannot travel in a JSON body (fastify refuses prototype poisoning): as a form.
      const res =
        name === "__proto__"
          ? await a.app.inject({
              method: "POST",
              url: a.base,
              headers: { "content-type": "application/x-www-form-urlencoded" },
              payload: `_customer_number=5115&${name}=v-${name}`,
            })
          : await start({ [name]: `v-${name}` });
      expect(res.statusCode, `${name}: ${res.body}`).toBe(200);
      const id = res.json<{ _id: string }>()._id;
      for (const url of [
        `${a.base}?${encodeURIComponent(name)}=v-${name}`,
        `/genesys/1/service/callback?${encodeURIComponent(name)}=v-${name}&_id=${id}`,
        `/genesys/1/admin/callback/queues?${encodeURIComponent(name)}=v-${name}&target=${a.serviceName}`,
      ]) {
        const found = await a.app.inject({ url, headers: adminAuth });
        expect(found.statusCode, `${url}: ${found.body}`).toBe(200);
        const list = found.json<unknown>();
        const rows = (Array.isArray(list) ? list : Object.values(list as object).flat()) as Record<
          string,
          string
        >[];
        expect(
          rows.map((row) => row["_id"]),
          url,
        ).toContain(id);
        const row = rows.find((candidate) => candidate["_id"] === id);
        const key: string = name;
        expect(row !== undefined && Object.hasOwn(row, key) ? row[key] : undefined, url).toBe(
          `v-${name}`,
        );
      }
      const put = await a.app.inject({
        method: "PUT",
        url: `${a.base}/${id}`,
        payload: name === "__proto__" ? { note: "n" } : { [name]: `w-${name}` },
      });
      expect(put.statusCode, put.body).toBe(200);
    }
    expect(statementsHolding(rec.statements, [...BUILTIN_NAMES, ...LEAK_MARKERS])).toEqual([]);
    // A built-in name as a filter key builds the very statement any other property key does.
    const text = (key: string) => {
      rec.statements.clear();
      return store
        .query({
          serviceNames: [a.serviceName],
          filters: [{ key, value: "x", negate: false }],
          operand: "AND",
          limit: 1,
        })
        .then(() => [...rec.statements]);
    };
    const plain = await text("plain_key");
    for (const name of BUILTIN_NAMES) expect(await text(name), name).toEqual(plain);
  });

  it("refuses control characters and lone surrogates in names and values with a 400 naming them", async () => {
    for (const [what, bad] of BAD_TEXT) {
      // A URL or a form carries UTF-8: a lone surrogate can only be sent as its WTF-8 bytes, which
      // do not decode to one; JSON can carry it as a \uD800 escape.
      const inUrl = bad.isWellFormed();
      const q = inUrl ? encodeURIComponent(bad) : "%ED%A0%80";
      const attempts = [
        start({ note: bad }),
        start({ [`k${bad}`]: "v" }),
        a.app.inject({ method: "PUT", url: `${a.base}/X`, payload: { note: bad } }),
        a.app.inject({
          method: "POST",
          url: "/genesys/1/admin/callback/cancel",
          headers: adminAuth,
          payload: { ids: [bad] },
        }),
      ];
      const urlAttempts = [
        a.app.inject({
          method: "POST",
          url: a.base,
          headers: { "content-type": "application/x-www-form-urlencoded" },
          payload: `_customer_number=5115&note=${q}`,
        }),
        a.app.inject({ url: `${a.base}?note=${q}` }),
        a.app.inject({ url: `/genesys/1/service/callback?_id=${q}` }),
        a.app.inject({ method: "PUT", url: `${a.base}/${q}`, payload: {} }),
        a.app.inject({ method: "DELETE", url: `${a.base}/${q}` }),
        a.app.inject({
          url: `/genesys/1/admin/callback/watermarks?service_name=${q}`,
          headers: adminAuth,
        }),
      ];
      for (const [i, attempt] of [...attempts, ...(inUrl ? urlAttempts : [])].entries()) {
        const res = await attempt;
        expect(res.statusCode, `${what} #${i}: ${res.body}`).toBe(400);
        expect(res.json(), `${what} #${i}`).toMatchObject({
          exception: `${GMS}.CallbackExceptionBadRequest`,
        });
      }
      for (const attempt of inUrl ? [] : urlAttempts)
        expect((await attempt).statusCode, `${what} in a URL`).toBeLessThan(500);
    }
    const stored = await t.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM callbacks WHERE properties::text ~ '[\x01-\x08]' OR properties::text LIKE '%\\u0000%'`,
    );
    expect(stored).toEqual([{ n: 0 }]);
    // Tab, CR and LF are text in a value (a note over several lines), not in a name.
    expect((await start({ note: "line 1\r\n\tline 2" })).statusCode).toBe(200);
    expect((await start({ "a\tb": "v" })).statusCode).toBe(400);
    const named = await start({ comment: "x\u0000" });
    expect(named.json<{ message: string }>().message).toContain('"comment"');
  });

  it("bounds JSON nesting: deep _target lists are a 400, and no depth is a 500", async () => {
    const nested = (depth: number): unknown => {
      let value: unknown = "agent";
      for (let i = 0; i < depth; i++) value = [value];
      return value;
    };
    expect((await start({ _target: nested(LIMITS.maxJsonDepth) })).statusCode).toBe(200);
    expect((await start({ _target: nested(LIMITS.maxJsonDepth + 1) })).statusCode).toBe(400);
    // Raw bodies of nothing but brackets, up to the size limit; objects too, and other keys.
    for (const [open, close] of [
      ["[", "]"],
      ['{"a":', "}"],
    ] as const) {
      for (const depth of [1_000, 10_000, 30_000]) {
        for (const key of ["_target", "note"]) {
          const body = `{"_customer_number":"5115","${key}":${open.repeat(depth)}1${close.repeat(depth)}}`;
          if (body.length > 64 * 1024) continue;
          const res = await a.app.inject({
            method: "POST",
            url: a.base,
            headers: { "content-type": "application/json" },
            payload: body,
          });
          expect(res.statusCode, `${key} ${open} x ${depth}: ${res.body}`).toBe(400);
        }
      }
    }
  });

  it("bounds a record's properties and bytes however many PUTs merge in, naming the limit", async () => {
    const id = (await start({})).json<{ _id: string }>()._id;
    let refused: { statusCode: number; body: string } | undefined;
    for (let round = 0; round < 10 && refused === undefined; round++) {
      const payload = Object.fromEntries(
        Array.from({ length: 50 }, (_, i) => [`k${round}_${i}`, "v"]),
      );
      const res = await a.app.inject({ method: "PUT", url: `${a.base}/${id}`, payload });
      if (res.statusCode !== 200) refused = res;
    }
    expect(refused?.statusCode).toBe(400);
    expect(refused?.body).toContain("maxRecordKeys");
    const row = await store.getById(id);
    expect(Object.keys(row?.properties ?? {}).length).toBeLessThanOrEqual(LIMITS.maxRecordKeys);

    const big = (await start({})).json<{ _id: string }>()._id;
    let bytesRefused: { statusCode: number; body: string } | undefined;
    for (let round = 0; round < 40 && bytesRefused === undefined; round++) {
      const res = await a.app.inject({
        method: "PUT",
        url: `${a.base}/${big}`,
        payload: { [`chunk${round}`]: "x".repeat(4000) },
      });
      if (res.statusCode !== 200) bytesRefused = res;
    }
    expect(bytesRefused?.statusCode).toBe(400);
    expect(bytesRefused?.body).toContain("maxRecordBytes");
    const grown = await store.getById(big);
    expect(Buffer.byteLength(JSON.stringify(grown?.properties))).toBeLessThanOrEqual(
      LIMITS.maxRecordBytes,
    );
  });

  it("bounds filters per query on every query endpoint, naming the limit", async () => {
    const filters = (n: number) => Array.from({ length: n }, (_, i) => `f${i}=${i}`).join("&");
    for (const [base, headers] of [
      [`${a.base}?`, {}],
      ["/genesys/1/service/callback?", {}],
      ["/genesys/1/admin/callback/queues?", adminAuth],
    ] as const) {
      expect(
        (await a.app.inject({ url: base + filters(LIMITS.maxFilters), headers })).statusCode,
      ).toBe(200);
      const res = await a.app.inject({ url: base + filters(LIMITS.maxFilters + 1), headers });
      expect(res.statusCode, base).toBe(400);
      expect(res.body).toContain("maxFilters");
    }
  });

  it("gives database errors without their parameters, values or details", async () => {
    const secret = "+15550000000-secret-note";
    const attempts = [
      () => t.db.query("SELECT $1::int", [secret]),
      () =>
        t.db.query(
          "INSERT INTO services (name, service_groups, updated_at) VALUES ($1, $2, now())",
          [secret, `{"a": "${secret}"`],
        ),
      () => t.db.transaction((tx) => tx.query("SELECT $1::jsonb", [`{"x": "\\u0000${secret}"}`])),
    ];
    for (const attempt of attempts) {
      const error = await attempt().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(DatabaseError);
      const logged: string[] = [];
      const log = pino(
        { level: "error" },
        new Writable({
          write(chunk: Buffer, _encoding, done) {
            logged.push(chunk.toString("utf8"));
            done();
          },
        }),
      );
      log.error({ err: error }, "Request failed");
      expect(logged.join("")).not.toContain("secret");
      expect(logged.join("")).not.toContain("5550000000");
      expect(Object.keys(error as object)).not.toContain("params");
    }
  });

  it("logs requests by route and status, never with their query string", async () => {
    const lines: string[] = [];
    const logger = pino(
      { level: "trace" },
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(chunk.toString("utf8"));
          done();
        },
      }),
    );
    const serviceName = uniqueService();
    const options = resolveOptions(serviceName, PERMISSIVE);
    const app = await buildApp({
      store,
      serviceName,
      options: () => options,
      clock: new ManualClock(START),
      logger,
    });
    const secretNumber = "6504661100";
    await app.inject({
      url: `/genesys/1/service/callback/${serviceName}?_customer_number=${secretNumber}&note=private-note`,
    });
    await app.inject({ url: `/genesys/1/service/callback?_customer_number=%2B1${secretNumber}` });
    await app.inject({ url: `/nowhere?_customer_number=${secretNumber}` });
    await app.inject({
      url: `/genesys/1/service/callback/${serviceName}?_customer_number=${secretNumber}&bad=\u0000`,
    });
    await app.close();
    const text = lines.join("");
    expect(text).toContain('"msg":"request completed"');
    expect(text).toContain('"route":"/genesys/1/service/callback/:name"');
    expect(text).not.toContain(secretNumber);
    expect(text).not.toContain("private-note");
  });
});
