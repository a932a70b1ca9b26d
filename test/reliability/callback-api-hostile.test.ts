// Hostile input against one real server process with auth on (service credentials from the option
// files, admin credentials from a password file): SQL-looking strings everywhere, oversized bodies,
// slow and silent clients, header floods, missing or wrong credentials. Every refusal is a GMS
// error body, the server stays up and serves others meanwhile, the tables stay intact, and no
// secret (service, admin, database password) ever reaches its logs.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GMS, PERMISSIVE, basic } from "../callback-api/support/app.ts";
import { createPostgresDatabase } from "../callback-api/support/databases.ts";
import { migrations as schemaMigrations } from "../../src/callback-api/migrations.ts";
import {
  startServer,
  stopServer,
  writeConfigDir,
  type ServerProcess,
} from "../callback-api/support/server-process.ts";

const SERVICE = "hostile";
const BASE = `/genesys/1/service/callback/${SERVICE}`;
const SERVICE_USER = "gms-client";
const SERVICE_SECRET = `svc-${randomBytes(12).toString("hex")}`;
const ADMIN_USER = "callback-admin";
const ADMIN_SECRET = `adm-${randomBytes(12).toString("hex")}`;
/** In the database URL: the test server trusts local connections, so it is never even asked for. */
const DB_SECRET = `db-${randomBytes(12).toString("hex")}`;
/** Seconds, short so that the slow-client cases take seconds, not minutes. */
const TIMEOUTS = { request: 3, headers: 2, connection: 4, keepAlive: 2 };

const asService = { authorization: basic(SERVICE_USER, SERVICE_SECRET) };
const asAdmin = { authorization: basic(ADMIN_USER, ADMIN_SECRET) };

const cleanups: (() => Promise<void>)[] = [];
let server: ServerProcess;
let sql: pg.Client;

beforeAll(async () => {
  const database = await createPostgresDatabase();
  cleanups.push(database.drop);
  const url = new URL(database.url);
  url.password = DB_SECRET;
  const configDir = await writeConfigDir({
    ...PERMISSIVE,
    // Attack strings travel in `note`: counted by the throttle, they reach its table too.
    _throttle_request_parameters: "_customer_number,note",
    username: SERVICE_USER,
    password: SERVICE_SECRET,
  });
  cleanups.push(() => rm(configDir, { recursive: true, force: true }));
  const secretDir = await mkdtemp(join(tmpdir(), "cbapi-secret-"));
  cleanups.push(() => rm(secretDir, { recursive: true, force: true }));
  await writeFile(join(secretDir, "password"), `${ADMIN_SECRET}\n`);
  server = await startServer([
    "--service-name",
    SERVICE,
    "--config-dir",
    configDir,
    "--database-url",
    url.toString(),
    "--admin-username",
    ADMIN_USER,
    "--admin-password-file",
    join(secretDir, "password"),
    "--request-timeout",
    `${String(TIMEOUTS.request)}s`,
    "--headers-timeout",
    `${String(TIMEOUTS.headers)}s`,
    "--connection-timeout",
    `${String(TIMEOUTS.connection)}s`,
    "--keep-alive-timeout",
    `${String(TIMEOUTS.keepAlive)}s`,
    // The most talkative level: a secret must not show up even there.
    "--log-level",
    "trace",
  ]);
  cleanups.push(() => stopServer(server));
  sql = new pg.Client({ connectionString: database.url });
  await sql.connect();
  cleanups.push(() => sql.end());
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

interface Answer {
  readonly status: number;
  readonly text: string;
  readonly headers: Headers;
}

async function call(
  method: string,
  path: string,
  init: { headers?: Record<string, string>; json?: unknown; form?: string; body?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...init.headers };
  let body = init.body;
  if (init.json !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(init.json);
  } else if (init.form !== undefined) {
    headers["content-type"] = "application/x-www-form-urlencoded";
    body = init.form;
  }
  const res = await fetch(`${server.base}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body }),
  });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

function json(answer: Answer): unknown {
  return JSON.parse(answer.text);
}

/** The GMS error shape with this status, or a description of what came instead. */
function gmsProblem(status: number | undefined, text: string, expected: number): string | null {
  let body: { code?: unknown; message?: unknown; exception?: unknown } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    // described below
  }
  const ok =
    status === expected &&
    body.code === expected &&
    typeof body.message === "string" &&
    typeof body.exception === "string" &&
    body.exception.startsWith(`${GMS}.`);
  return ok ? null : `${String(status)} ${text.slice(0, 300)}`;
}

function expectGms(answer: Answer, status: number): void {
  expect(gmsProblem(answer.status, answer.text, status)).toBeNull();
}

interface RawAnswer {
  readonly status: number | undefined;
  /** The body of the first response. */
  readonly body: string;
  readonly closedAfterMs: number;
}

/**
 * One raw TCP exchange: `send` writes what it likes (or nothing); resolves when the server closes the
 * connection, or after `limitMs` (then with `closedAfterMs` = Infinity).
 */
async function raw(send: (socket: Socket) => void, limitMs = 15_000): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = connect(server.port, "127.0.0.1");
    const started = Date.now();
    let data = "";
    const finish = (closedAfterMs: number): void => {
      clearTimeout(timer);
      socket.destroy();
      const status = /^HTTP\/1\.1 (\d{3})/.exec(data)?.[1];
      const headerEnd = data.indexOf("\r\n\r\n");
      const rest = headerEnd < 0 ? "" : data.slice(headerEnd + 4);
      const length = /\r\ncontent-length: (\d+)/i.exec(data.slice(0, headerEnd))?.[1];
      resolve({
        status: status === undefined ? undefined : Number(status),
        body: length === undefined ? rest : rest.slice(0, Number(length)),
        closedAfterMs,
      });
    };
    const timer = setTimeout(() => {
      finish(Infinity);
    }, limitMs);
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => (data += chunk));
    socket.on("error", () => undefined);
    socket.on("close", () => {
      finish(Date.now() - started);
    });
    socket.on("connect", () => {
      send(socket);
    });
  });
}

/** Writes `chunk` every `everyMs` until the socket closes. */
function trickle(socket: Socket, chunk: string, everyMs: number): void {
  const timer = setInterval(() => {
    if (socket.destroyed || !socket.writable) clearInterval(timer);
    else socket.write(chunk);
  }, everyMs);
}

function rawRequest(lines: string[]): string {
  return `${lines.join("\r\n")}\r\n\r\n`;
}

async function callbackCount(): Promise<number> {
  const result = await sql.query<{ n: number }>("SELECT count(*)::int AS n FROM callbacks");
  return result.rows[0]?.n ?? -1;
}

describe("the Callback API with auth on, under hostile input", () => {
  it("refuses unauthenticated and wrongly authenticated calls with a GMS 401", async () => {
    const before = await callbackCount();
    const start = { _customer_number: "5115" };
    const serviceCalls: [string, string, unknown][] = [
      ["POST", BASE, start],
      ["GET", BASE, undefined],
      ["GET", "/genesys/1/service/callback?_id=X", undefined],
      ["DELETE", `${BASE}/X`, undefined],
      ["PUT", `${BASE}/X`, { note: "n" }],
      ["GET", `${BASE}/availability`, undefined],
      ["GET", `/genesys/2/service/callback/${SERVICE}/availability`, undefined],
    ];
    const refusedCredentials: (Record<string, string> | undefined)[] = [
      undefined,
      { authorization: basic(SERVICE_USER, `${SERVICE_SECRET}x`) },
      { authorization: basic(SERVICE_USER, "") },
      { authorization: basic("someone", SERVICE_SECRET) },
      { authorization: basic(ADMIN_USER, SERVICE_SECRET) },
      { authorization: `Bearer ${SERVICE_SECRET}` },
      { authorization: "Basic !!!" },
      { authorization: `Basic ${Buffer.from(SERVICE_SECRET).toString("base64")}` },
    ];
    for (const [method, path, body] of serviceCalls) {
      for (const headers of refusedCredentials) {
        const answer = await call(method, path, {
          ...(headers === undefined ? {} : { headers }),
          ...(body === undefined ? {} : { json: body }),
        });
        expectGms(answer, 401);
        expect(answer.headers.get("www-authenticate")).toMatch(/^Basic realm=/);
      }
    }
    expect(await callbackCount()).toBe(before);
    // The service's own credentials, and the admin's, open the service endpoints.
    for (const headers of [asService, asAdmin]) {
      for (const [method, path, body] of serviceCalls) {
        const answer = await call(method, path, {
          headers,
          ...(body === undefined ? {} : { json: body }),
        });
        expect(answer.status, `${method} ${path}: ${answer.text}`).not.toBe(401);
        expect(answer.status).toBeLessThan(500);
      }
    }
    expect(await callbackCount()).toBe(before + 2);

    // Admin endpoints take the admin credentials only.
    const adminCalls: [string, string, unknown][] = [
      ["GET", "/genesys/1/admin/callback/queues", undefined],
      ["GET", "/genesys/1/admin/callback/watermarks", undefined],
      ["GET", "/genesys/1/admin/callback/services", undefined],
      ["POST", "/genesys/1/admin/callback/cancel", { ids: ["NOT-THERE"] }],
    ];
    for (const [method, path, body] of adminCalls) {
      const withBody = body === undefined ? {} : { json: body };
      for (const headers of [
        undefined,
        asService,
        { authorization: basic(ADMIN_USER, SERVICE_SECRET) },
        { authorization: basic(ADMIN_USER, `${ADMIN_SECRET}x`) },
        { authorization: basic(SERVICE_USER, ADMIN_SECRET) },
      ]) {
        expectGms(await call(method, path, { ...(headers ? { headers } : {}), ...withBody }), 401);
      }
      const answer = await call(method, path, { headers: asAdmin, ...withBody });
      expect(answer.status, `${method} ${path}: ${answer.text}`).toBe(200);
    }
    // Probes stay open: the kubelet and Prometheus carry no credentials. Metrics are on their own
    // port, not on the one a route exposes.
    for (const path of ["/healthz", "/readyz"]) expect((await call("GET", path)).status).toBe(200);
    expect((await call("GET", "/metrics")).status).toBe(404);
    expect((await fetch(`${server.metricsBase}/metrics`)).status).toBe(200);
  });

  it("stores SQL-looking strings verbatim, matches them as plain values, keeps the tables", async () => {
    const attacks = [
      "'; DROP TABLE callbacks; --",
      "x' OR '1'='1",
      '" OR ""="',
      "1; DELETE FROM services WHERE true; --",
      "'); TRUNCATE throttle_counters, callback_api_migrations; --",
      "' UNION SELECT id, properties::text FROM callbacks --",
      "$1",
      "$$; SELECT pg_sleep(10); $$",
      "\\'; DROP TABLE services; --",
      "properties ->> 'note' IS NOT NULL OR '",
      "%' OR id LIKE '%",
      '{"_id": "x"}\'::jsonb || \'',
      "‘; DROP TABLE callbacks; -- ☃ 𝕏",
      "!'; DROP TABLE callbacks; --",
    ];
    const problems: string[] = [];
    const ids: string[] = [];
    const numbers = attacks.map((_, i) => `+1650466${String(1000 + i)}`);
    for (const [i, attack] of attacks.entries()) {
      const number = numbers[i] ?? "";
      const sent = {
        _customer_number: number,
        note: attack,
        [`k${i}'; DROP TABLE callbacks; --`]: attack,
        [attack]: `value ${i}`,
        _target: attack,
        _urs_virtual_queue: attack,
      };
      const started = await call("POST", BASE, { headers: asService, json: sent });
      expect(started.status, started.text).toBe(200);
      const id = (json(started) as { _id: string })._id;
      ids.push(id);

      const byId = await call("GET", `/genesys/1/service/callback?_id=${id}`, {
        headers: asService,
      });
      expect(json(byId) as Record<string, string>[]).toEqual([expect.objectContaining(sent)]);

      // The string is a value to compare with, in every filter position (a leading `!` is GMS's
      // "not equal", so such a value cannot be asked for by equality).
      const q = encodeURIComponent(attack);
      const equalityFilters = attack.startsWith("!")
        ? []
        : [
            `${BASE}?_customer_number=${encodeURIComponent(number)}`,
            `${BASE}?note=${q}`,
            `${BASE}?${q}=${encodeURIComponent(`value ${i}`)}`,
            `${BASE}?note=${q}&operand=OR&_callback_state=${q}`,
            `/genesys/1/service/callback?note=${q}`,
            `/genesys/1/service/callback?_target=${q}&_urs_virtual_queue=${q}`,
            `/genesys/1/admin/callback/queues?note=${q}`,
          ];
      for (const path of equalityFilters) {
        const headers = path.includes("/admin/") ? asAdmin : asService;
        const found = await call("GET", path, { headers });
        const body = json(found) as { _id: string }[] | Record<string, { _id: string }[]>;
        const list = (Array.isArray(body) ? body : Object.values(body).flat()).map((r) => r._id);
        if (found.status !== 200 || list.join() !== id)
          problems.push(`${path}: ${found.text.slice(0, 300)}`);
      }
      const negated = await call("GET", `${BASE}?note=${encodeURIComponent(`!${attack}`)}`, {
        headers: asService,
      });
      if ((json(negated) as { _id: string }[]).some((r) => r._id === id))
        problems.push(`negated filter still found ${attack}`);
      const matchingNothing = attack.startsWith("!")
        ? []
        : [
            `${BASE}?_id=${q}`,
            `${BASE}?_customer_number=${q}`,
            `${BASE}?_callback_state=${q}`,
            `${BASE}?_desired_time=${q}`,
            `${BASE}?_callback_reason=${q}`,
            `/genesys/1/service/callback?_service_name=${q}`,
          ];
      for (const path of matchingNothing) {
        const found = await call("GET", path, { headers: asService });
        if (found.text !== "[]")
          problems.push(`${path}: ${found.status} ${found.text.slice(0, 300)}`);
      }

      // Updates keep it verbatim too.
      const updated = await call("PUT", `${BASE}/${id}`, {
        headers: asService,
        json: { note2: attack, [`${attack} 2`]: attack },
      });
      expect(updated.status, updated.text).toBe(200);
      const after = await call("GET", `/genesys/1/service/callback?_id=${id}`, {
        headers: asService,
      });
      expect((json(after) as Record<string, string>[])[0]).toMatchObject({
        ...sent,
        note2: attack,
        [`${attack} 2`]: attack,
      });

      // Where it cannot be a valid value, a GMS 400 or 404.
      const refusals: [string, string, number, unknown?][] = [
        // Not a phone number: refused, never stored nor dialled (CallbackExceptionNumber).
        ["POST", BASE, 400, { _customer_number: attack }],
        ["POST", BASE, 400, { _customer_number: `${number} ${attack}` }],
        ["POST", BASE, 400, { _customer_number: "5115", _desired_time: attack }],
        ["PUT", `${BASE}/${id}`, 400, { _new_desired_time: attack }],
        ["PUT", `${BASE}/${id}`, 400, { _callback_state: attack }],
        ["PUT", `${BASE}/${id}`, 400, { _callback_reason: attack }],
        ["GET", `${BASE}?operand=${q}`, 400],
        ["GET", `${BASE}?max=${q}`, 400],
        ["GET", `${BASE}/availability?start=${q}`, 400],
        ["GET", `${BASE}/availability?number-of-days=${q}`, 400],
        ["GET", `/genesys/2/service/callback/${SERVICE}/availability?timezone=${q}`, 400],
        ["GET", `/genesys/2/service/callback/${SERVICE}/availability?start-ms=${q}`, 400],
        ["GET", `/genesys/1/service/callback/${q}`, 404],
        ["POST", `/genesys/1/service/callback/${q}`, 404, { _customer_number: "5115" }],
        ["DELETE", `/genesys/1/service/callback/${q}/${id}`, 404],
        ["DELETE", `${BASE}/${q}`, 404],
        ["PUT", `${BASE}/${q}`, 404, { note: "n" }],
        ["GET", `/genesys/1/service/callback/${q}/availability`, 404],
        ["GET", `/genesys/1/admin/callback/queues?states=${q}`, 400],
        ["GET", `/genesys/1/admin/callback/queues?start_time=${q}`, 400],
        ["POST", "/genesys/1/admin/callback/cancel", 400, { ids: [id], reason: attack }],
      ];
      for (const [method, path, status, body] of refusals) {
        const headers = path.includes("/admin/") ? asAdmin : asService;
        const answer = await call(method, path, {
          headers,
          ...(body === undefined ? {} : { json: body }),
        });
        const problem = gmsProblem(answer.status, answer.text, status);
        if (problem !== null) problems.push(`${method} ${path}: ${problem}`);
      }

      // Admin parameters: plain values as well.
      const targeted = await call(
        "GET",
        `/genesys/1/admin/callback/queues?target=${q}&services=${q}`,
        { headers: asAdmin },
      );
      expect(targeted.status, targeted.text).toBe(200);
      expect(Object.values(json(targeted) as Record<string, unknown[]>).flat()).toEqual([]);
      const marks = await call("GET", `/genesys/1/admin/callback/watermarks?service_name=${q}`, {
        headers: asAdmin,
      });
      expect(json(marks)).toEqual({ services: { [attack]: 0 }, total: 0 });
      const cancel = await call("POST", "/genesys/1/admin/callback/cancel", {
        headers: asAdmin,
        json: { ids: [attack] },
      });
      expect(json(cancel)).toEqual({ cancelled: [], not_found: [attack], already_completed: [] });
    }

    // Form fields, too.
    const form = new URLSearchParams({
      _customer_number: "650 466 2000",
      [attacks[1]!]: attacks[2]!,
    });
    const formStart = await call("POST", BASE, { headers: asService, form: form.toString() });
    expect(formStart.status, formStart.text).toBe(200);
    const formRow = await call(
      "GET",
      `/genesys/1/service/callback?_id=${(json(formStart) as { _id: string })._id}`,
      { headers: asService },
    );
    expect((json(formRow) as Record<string, string>[])[0]).toMatchObject({
      _customer_number: "+16504662000",
      [attacks[1]!]: attacks[2],
    });
    expect(problems).toEqual([]);

    // The schema is whole, and holds exactly what was accepted.
    const tables = await sql.query<{ name: string }>(
      `SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`,
    );
    expect(tables.rows.map((row) => row.name)).toEqual([
      "access_bookings",
      "callback_api_migrations",
      "callback_count_deltas",
      "callback_counts",
      "callbacks",
      "services",
      "throttle_counters",
    ]);
    const stored = await sql.query<{ id: string; customer_number: string }>(
      "SELECT id, customer_number FROM callbacks WHERE id = ANY($1::text[])",
      [ids],
    );
    expect(new Map(stored.rows.map((row) => [row.id, row.customer_number]))).toEqual(
      new Map(ids.map((id, i) => [id, numbers[i]!])),
    );
    const services = await sql.query<{ name: string }>("SELECT name FROM services");
    expect(services.rows).toEqual([{ name: SERVICE }]);
    const migrations = await sql.query<{ version: number }>(
      "SELECT version FROM callback_api_migrations ORDER BY version",
    );
    expect(migrations.rows).toEqual(schemaMigrations.map(({ version }) => ({ version })));
    const throttled = await sql.query<{ value: string }>(
      "SELECT value FROM throttle_counters WHERE value = ANY($1::text[])",
      [attacks],
    );
    expect(throttled.rows.map((row) => row.value).sort()).toEqual([...attacks].sort());
  });

  it("answers oversized bodies with a GMS 413 and stays up", async () => {
    const big = "x".repeat(70 * 1024);
    const before = await callbackCount();
    for (const [method, path, headers] of [
      ["POST", BASE, asService],
      ["PUT", `${BASE}/X`, asService],
      ["POST", "/genesys/1/admin/callback/cancel", asAdmin],
      ["POST", BASE, {}],
    ] as const) {
      expectGms(
        await call(method, path, { headers, json: { _customer_number: "5115", note: big } }),
        413,
      );
      expectGms(
        await call(method, path, { headers, form: `_customer_number=5115&note=${big}` }),
        413,
      );
    }
    // Twenty at once of each: a declared gigabyte, refused on its header before any of it is
    // read, and a chunked stream of no declared size, cut off once it passes the limit.
    const head = [
      `POST ${BASE} HTTP/1.1`,
      "Host: 127.0.0.1",
      `Authorization: ${asService.authorization}`,
      "Content-Type: application/json",
    ];
    const chunk = "z".repeat(16 * 1024);
    const floods = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        raw((socket) => {
          if (i % 2 === 0) {
            socket.write(rawRequest([...head, "Content-Length: 1073741824"]) + "{");
          } else {
            socket.write(rawRequest([...head, "Transfer-Encoding: chunked"]));
            trickle(socket, `${chunk.length.toString(16)}\r\n${chunk}\r\n`, 5);
          }
        }),
      ),
    );
    for (const answer of floods) {
      expect(gmsProblem(answer.status, answer.body, 413)).toBeNull();
      expect(answer.closedAfterMs).toBeLessThan(TIMEOUTS.request * 1000);
    }

    expect(await callbackCount()).toBe(before);
    expect((await call("GET", "/healthz")).status).toBe(200);
    const fine = await call("POST", BASE, {
      headers: asService,
      json: { _customer_number: "5115" },
    });
    expect(fine.status, fine.text).toBe(200);
  });

  it("times out slow and silent clients, and serves others meanwhile", async () => {
    const head = [`POST ${BASE} HTTP/1.1`, "Host: 127.0.0.1"];
    const slow: Promise<[string, RawAnswer]>[] = [];
    for (let i = 0; i < 20; i++) {
      // Connects and says nothing.
      slow.push(raw(() => undefined).then((answer) => ["silent", answer]));
      // Sends a header line now and then, never the end of the headers.
      slow.push(
        raw((socket) => {
          socket.write(`${head.join("\r\n")}\r\n`);
          trickle(socket, `X-Slow-${i}: still coming\r\n`, 300);
        }).then((answer) => ["slow headers", answer]),
      );
      // Sends complete headers, then a byte of body now and then.
      slow.push(
        raw((socket) => {
          socket.write(
            rawRequest([
              ...head,
              `Authorization: ${asService.authorization}`,
              "Content-Type: application/json",
              "Content-Length: 10000",
            ]),
          );
          trickle(socket, " ", 200);
        }).then((answer) => ["slow body", answer]),
      );
    }
    // Meanwhile ordinary clients are answered promptly.
    const latencies: number[] = [];
    const started = Date.now();
    while (Date.now() - started < (TIMEOUTS.request + 1) * 1000) {
      const t0 = Date.now();
      const answer = await call("GET", `${BASE}?max=5`, { headers: asService });
      expect(answer.status).toBe(200);
      latencies.push(Date.now() - t0);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // Sooner than the slow clients' own cut-off: they hold sockets, not the server.
    expect(Math.max(...latencies)).toBeLessThan(TIMEOUTS.headers * 1000);

    const limits: Record<string, number> = {
      silent: TIMEOUTS.headers,
      "slow headers": TIMEOUTS.headers,
      "slow body": TIMEOUTS.request,
    };
    for (const [kind, answer] of await Promise.all(slow)) {
      const limitMs = (limits[kind] ?? 0) * 1000;
      // Closed once its time was up (Node checks every quarter of the headers timeout), with a 408.
      expect(answer.closedAfterMs, kind).toBeGreaterThanOrEqual(limitMs - 100);
      expect(answer.closedAfterMs, kind).toBeLessThan(limitMs + 3_000);
      expect(gmsProblem(answer.status, answer.body, 408), kind).toBeNull();
    }

    // An idle keep-alive connection is closed after the keep-alive timeout (Node adds 1 s).
    const idle = await raw((socket) => {
      socket.write(rawRequest(["GET /healthz HTTP/1.1", "Host: 127.0.0.1"]));
    });
    expect(idle.status).toBe(200);
    expect(idle.closedAfterMs).toBeGreaterThanOrEqual(TIMEOUTS.keepAlive * 1000 - 100);
    expect(idle.closedAfterMs).toBeLessThan((TIMEOUTS.keepAlive + 4) * 1000);
    expect((await call("GET", "/healthz")).status).toBe(200);
  });

  it("answers header floods with a GMS 431 and stays up", async () => {
    const get = [`GET ${BASE} HTTP/1.1`, "Host: 127.0.0.1"];
    const many = Array.from({ length: 3000 }, (_, i) => `X-Flood-${i}: v`);
    const floods = [
      [...get, `X-Big: ${"a".repeat(20_000)}`],
      [...get, ...many],
      // A credential in a flood: refused like any other, and (checked below) never logged.
      [
        ...get,
        `Authorization: Basic ${Buffer.from(`${SERVICE_USER}:${SERVICE_SECRET.repeat(1000)}`).toString("base64")}`,
      ],
      [...get, `Cookie: session=${ADMIN_SECRET}; ${"c=1; ".repeat(4000)}`],
    ];
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        raw((socket) => {
          socket.write(rawRequest(floods[i % floods.length]!));
        }),
      ),
    );
    for (const answer of answers) {
      expect(gmsProblem(answer.status, answer.body, 431)).toBeNull();
      expect(answer.closedAfterMs).toBeLessThan(5_000);
    }
    // Many headers within the size limit are simply served.
    const withinLimit = await raw((socket) => {
      socket.write(
        rawRequest([
          ...get,
          `Authorization: ${asService.authorization}`,
          "Connection: close",
          ...many.slice(0, 600),
        ]),
      );
    });
    expect(withinLimit.status).toBe(200);
    expect((await call("GET", "/healthz")).status).toBe(200);
  });

  it("never writes a secret to its logs or metrics", async () => {
    // Secrets where a careless server might echo them: wrong-password attempts, other headers,
    // bodies (accepted, refused, malformed), the admin password on the service endpoints, query
    // strings (the access log records the route, never the URL's query).
    const attempts: Parameters<typeof call>[] = [
      ["GET", BASE, { headers: { authorization: basic(SERVICE_USER, `${SERVICE_SECRET}-wrong`) } }],
      ["GET", BASE, { headers: { authorization: basic(ADMIN_USER, `${ADMIN_SECRET}-wrong`) } }],
      [
        "GET",
        "/genesys/1/admin/callback/queues",
        { headers: { authorization: basic(ADMIN_USER, `x${ADMIN_SECRET}`) } },
      ],
      ["GET", BASE, { headers: { "x-api-key": SERVICE_SECRET, "x-admin": ADMIN_SECRET } }],
      ["GET", `${BASE}?note=${SERVICE_SECRET}&password=${ADMIN_SECRET}`, { headers: asService }],
      ["GET", `/genesys/1/service/callback?x=${ADMIN_SECRET}`, {}],
      [
        "POST",
        BASE,
        {
          headers: asService,
          json: { _customer_number: "5115", password: SERVICE_SECRET, note: ADMIN_SECRET },
        },
      ],
      ["POST", BASE, { json: { password: SERVICE_SECRET, admin: ADMIN_SECRET } }],
      ["POST", BASE, { headers: asService, form: `password=${SERVICE_SECRET}&${ADMIN_SECRET}=1` }],
      [
        "POST",
        BASE,
        {
          headers: { ...asService, "content-type": "application/json" },
          body: `{"password": "${SERVICE_SECRET}", `,
        },
      ],
      [
        "POST",
        BASE,
        { headers: { ...asService, "content-type": "text/plain" }, body: ADMIN_SECRET },
      ],
      ["PUT", `${BASE}/X`, { headers: asAdmin, json: { note: ADMIN_SECRET } }],
      [
        "POST",
        "/genesys/1/admin/callback/cancel",
        { headers: asAdmin, json: { ids: [ADMIN_SECRET], reason: SERVICE_SECRET } },
      ],
    ];
    for (const args of attempts) {
      const answer = await call(...args);
      expect(answer.status, `${args[0]} ${args[1]}`).toBeLessThan(500);
    }
    const metrics = await fetch(`${server.metricsBase}/metrics`).then(async (res) => ({
      text: await res.text(),
    }));
    await stopServer(server);

    const output = server.output();
    // The server did log (every request, at trace level) — the search below is not vacuous.
    expect(output).toContain('"msg":"request completed"');
    expect(output).toContain('"msg":"Client error"');
    const forms = (secret: string, user: string): string[] => [
      secret,
      encodeURIComponent(secret),
      Buffer.from(secret).toString("base64"),
      Buffer.from(`${user}:${secret}`).toString("base64"),
    ];
    for (const needle of [
      ...forms(SERVICE_SECRET, SERVICE_USER),
      ...forms(ADMIN_SECRET, ADMIN_USER),
      DB_SECRET,
    ]) {
      expect(output.includes(needle), `the server log holds ${needle}`).toBe(false);
      expect(metrics.text.includes(needle), `/metrics holds ${needle}`).toBe(false);
    }
  });
});
