// 200 malformed requests over real HTTP: each gets a 4xx with a GMS error body; the server stays up.
import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, expect, it } from "vitest";
import { openStore, type TestStore } from "./support/databases.ts";
import { GMS, PERMISSIVE, adminAuth, makeApp, type TestApp } from "./support/app.ts";

interface Case {
  readonly name: string;
  readonly method: string;
  readonly path: string;
  readonly body?: string;
  readonly contentType?: string;
  readonly headers?: Record<string, string>;
}

let t: TestStore;
let a: TestApp;
let app: FastifyInstance;
let origin: string;

beforeAll(async () => {
  t = await openStore("pglite");
  a = await makeApp(t.store, PERMISSIVE);
  app = a.app;
  await app.listen({ host: "127.0.0.1", port: 0 });
  origin = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await app.close();
  await t.close();
});

function cases(base: string): Case[] {
  const json = (name: string, body: string, path = base, method = "POST"): Case => ({
    name,
    method,
    path,
    body,
    contentType: "application/json",
  });
  const list: Case[] = [];
  const badJson = [
    "{",
    '{"_customer_number":',
    "[",
    "nul",
    '{"a" 1}',
    "{'a':1}",
    '{"a":1,}',
    "\u0000",
    '{"a":"\\x"}',
    '"unterminated',
  ];
  badJson.forEach((body, i) => {
    list.push(json(`bad JSON ${i}`, body));
    list.push(json(`bad JSON on PUT ${i}`, body, `${base}/X`, "PUT"));
  });
  const wrongTypes = [
    { _customer_number: {} },
    { _customer_number: [] },
    { _customer_number: null },
    { _customer_number: ["5115", "5116"] },
    { _customer_number: "5115", note: { nested: true } },
    { _customer_number: "5115", _desired_time: 1_900_000_000_000 },
    { _customer_number: "5115", _desired_time: true },
    { _customer_number: "5115", list: [1, 2] },
    { _customer_number: 5115, extra: null },
    { _customer_number: Number.MAX_VALUE, deep: { a: { b: 1 } } },
  ];
  wrongTypes.forEach((body, i) => {
    list.push(json(`wrong type ${i}`, JSON.stringify(body)));
    list.push(
      json(
        `wrong type on PUT ${i}`,
        JSON.stringify({ ...body, _customer_number: undefined, x: body._customer_number ?? {} }),
        `${base}/X`,
        "PUT",
      ),
    );
  });
  for (const body of ["[]", "[1,2]", '"text"', "42", "true"])
    list.push(json(`non-object body ${body}`, body));
  for (let i = 0; i < 10; i++) {
    list.push(
      json(
        `huge value ${i}`,
        JSON.stringify({ _customer_number: "5115", note: "x".repeat(4097 + i * 1000) }),
      ),
    );
    list.push(
      json(
        `huge key ${i}`,
        JSON.stringify({ _customer_number: "5115", ["k".repeat(129 + i)]: "v" }),
      ),
    );
  }
  for (let i = 0; i < 5; i++)
    list.push(json(`body over the limit ${i}`, JSON.stringify({ note: "y".repeat(70_000 + i) })));
  list.push(
    json(
      "too many keys",
      JSON.stringify(Object.fromEntries(Array.from({ length: 201 }, (_, i) => [`k${i}`, "v"]))),
    ),
  );
  const badDates = [
    "2030-02-30T10:00:00.000Z",
    "2030-13-01T00:00:00Z",
    "2030-01-01",
    "01/02/2030",
    "2030-01-01T25:00:00Z",
    "2030-01-01T10:61:00Z",
    "now",
    "",
    " ",
    "2030-01-01T10:00:00.000+25:00x",
  ];
  badDates.forEach((date, i) => {
    if (date.trim() !== "")
      list.push(
        json(
          `bad _desired_time ${i}`,
          JSON.stringify({ _customer_number: "5115", _desired_time: date }),
        ),
      );
    list.push(
      json(
        `bad _new_desired_time ${i}`,
        JSON.stringify({ _new_desired_time: date || "x" }),
        `${base}/X`,
        "PUT",
      ),
    );
    list.push({
      name: `bad availability start ${i}`,
      method: "GET",
      path: `${base}/availability?start=${encodeURIComponent(date || "x")}`,
    });
    list.push({
      name: `bad v2 start-ms ${i}`,
      method: "GET",
      path: `/genesys/2/service/callback/${a.serviceName}/availability?start-ms=${encodeURIComponent(date || "x")}`,
    });
  });
  const contentTypes = [
    "text/plain",
    "application/xml",
    "text/html",
    "image/png",
    "multipart/form-data; boundary=x",
    "application/octet-stream",
    "text/csv",
    "application/jsonp",
    "foo/bar",
    "application/x-www-form",
  ];
  contentTypes.forEach((type, i) => {
    list.push({
      name: `content type ${type}`,
      method: "POST",
      path: base,
      body: "_customer_number=5115",
      contentType: type,
    });
    list.push({
      name: `content type on PUT ${i}`,
      method: "PUT",
      path: `${base}/X`,
      body: "a=b",
      contentType: type,
    });
    list.push({
      name: `content type on admin cancel ${i}`,
      method: "POST",
      path: "/genesys/1/admin/callback/cancel",
      body: "ids=1",
      contentType: type,
      headers: adminAuth,
    });
  });
  const badQueries = [
    "operand=NAND",
    "max=0",
    "max=abc",
    "max=99999999",
    "a=1&a=2",
    "operand=1",
    "max=-5",
    "operand=",
    "max=1.5",
    `${"q".repeat(130)}=1`,
  ];
  badQueries.forEach((query, i) => {
    if (query !== "operand=")
      list.push({ name: `bad query ${i}`, method: "GET", path: `${base}?${query}` });
    list.push({
      name: `bad admin query ${i}`,
      method: "GET",
      path: `/genesys/1/admin/callback/queues?states=NOPE${i}`,
      headers: adminAuth,
    });
    list.push({
      name: `bad availability ${i}`,
      method: "GET",
      path: `${base}/availability?number-of-days=${i === 0 ? "0" : `-${i}`}`,
    });
  });
  const adminBodies = [
    '{"ids":[]}',
    '{"ids":"x"}',
    '{"ids":[1]}',
    '{"ids":["a"],"reason":"lower"}',
    '{"reason":"X"}',
    "{}",
    '{"ids":[null]}',
    '{"ids":[{}]}',
    '{"ids":["a"],"reason":5}',
    "null",
  ];
  adminBodies.forEach((body, i) =>
    list.push({
      ...json(`bad admin cancel ${i}`, body, "/genesys/1/admin/callback/cancel"),
      headers: adminAuth,
    }),
  );
  for (let i = 0; i < 10; i++)
    list.push({
      name: `unknown path ${i}`,
      method: i % 2 === 0 ? "GET" : "PATCH",
      path: `/genesys/1/service/callback/${a.serviceName}/x/y/${i}`,
    });
  for (let i = 0; i < 5; i++)
    list.push({
      name: `wrong service ${i}`,
      method: "POST",
      path: `/genesys/1/service/callback/other-${i}`,
      body: "{}",
      contentType: "application/json",
    });
  for (let i = 0; i < 5; i++)
    list.push({
      name: `no content type with body ${i}`,
      method: "POST",
      path: base,
      body: `x${i}`,
    });
  for (let i = 0; i < 5; i++)
    list.push({
      name: `malformed basic auth ${i}`,
      method: "GET",
      path: "/genesys/1/admin/callback/queues",
      headers: { authorization: `Basic ${"%".repeat(i + 1)}` },
    });
  list.push(
    json("missing customer number", "{}"),
    json("null body", "null"),
    json("empty string number", '{"_customer_number":""}'),
  );
  list.push({
    name: "bad timezone",
    method: "GET",
    path: `/genesys/2/service/callback/${a.serviceName}/availability?timezone=Nowhere/City`,
  });
  list.push({
    name: "bad report-busy",
    method: "GET",
    path: `/genesys/2/service/callback/${a.serviceName}/availability?report-busy=maybe`,
  });
  list.push({
    name: "end before start",
    method: "GET",
    path: `${base}/availability?start=2030-03-05T00:00:00Z&end=2030-03-04T00:00:00Z`,
  });
  list.push(json("form with a repeated key", "", base));
  list[list.length - 1] = {
    name: "form with a repeated key",
    method: "POST",
    path: base,
    body: "_customer_number=1&_customer_number=2",
    contentType: "application/x-www-form-urlencoded",
  };
  return list;
}

it("answers 200 malformed requests with GMS-shaped 4xx and stays up", async () => {
  const all = cases(a.base);
  expect(all.length).toBeGreaterThanOrEqual(200);
  const failures: string[] = [];
  for (const c of all.slice(0, 200)) {
    const headers: Record<string, string> = { ...c.headers };
    if (c.contentType !== undefined) headers["content-type"] = c.contentType;
    const res = await fetch(`${origin}${c.path}`, {
      method: c.method,
      headers,
      ...(c.body === undefined ? {} : { body: c.body }),
    });
    const text = await res.text();
    let body: { code?: unknown; message?: unknown; exception?: unknown } = {};
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      // reported below
    }
    const ok =
      res.status >= 400 &&
      res.status < 500 &&
      body.code === res.status &&
      typeof body.message === "string" &&
      typeof body.exception === "string" &&
      body.exception.startsWith(`${GMS}.`);
    if (!ok) failures.push(`${c.name}: ${res.status} ${text.slice(0, 200)}`);
  }
  expect(failures).toEqual([]);
  expect((await fetch(`${origin}/healthz`)).status).toBe(200);
  const good = await fetch(`${origin}${a.base}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: '{"_customer_number":"5115"}',
  });
  expect(good.status).toBe(200);
});
