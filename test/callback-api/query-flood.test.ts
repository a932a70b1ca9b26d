// Issue 12, item 4: a flood of slow queries cannot take the pool from starts, updates and readiness.
// Heavy queries hold at most half the pool (QuerySlots), readiness pings over a connection of its
// own, statements time out after 5 s. On PostgreSQL each heavy query is made slow for real (it
// holds its pooled connection in pg_sleep before it runs: a slow statement, without filling the
// shared server with gigabytes); a control run without the cap shows the same flood starving starts.
// On PGlite (one connection, statements in turn) the queries are real ones over a filled table.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DatabaseError,
  postgresDatabase,
  type Database,
  type PreparedStatement,
} from "../../src/callback-api/database.ts";
import { migrate } from "../../src/callback-api/migrations.ts";
import { Store } from "../../src/callback-api/store.ts";
import { createPostgresDatabase, openStore, type TestStore } from "./support/databases.ts";
import { PERMISSIVE, START, makeApp, type TestApp } from "./support/app.ts";
import type { CreatedDatabase } from "./support/postgres-admin.ts";

const SLOW_SECONDS = 1.5;
const FLOOD_MS = 6_000;

const isHeavy = (text: string): boolean =>
  text.startsWith("SELECT * FROM callbacks WHERE") && text.includes("ORDER BY desired_time");

/** `db`, whose heavy queries each hold their connection `SLOW_SECONDS` longer. */
function slowHeavyQueries(db: Database, heavyQuerySlots: number): Database {
  return {
    ...db,
    heavyQuerySlots,
    // Heavy queries are plain text; the hot path's prepared statements are not heavy.
    query: <Row>(statement: string | PreparedStatement, params?: readonly unknown[]) =>
      typeof statement === "string" && isHeavy(statement)
        ? db.transaction(async (client) => {
            await client.query("SELECT pg_sleep($1)", [SLOW_SECONDS]);
            return client.query<Row>(statement, params);
          })
        : db.query<Row>(statement, params),
  };
}

interface FloodResult {
  readonly startStatuses: number[];
  readonly startMs: number[];
  readonly readyStatuses: number[];
  readonly queryStatuses: number[];
}

/** `concurrency` query loops for FLOOD_MS; meanwhile starts one after another, and /readyz. */
async function flood(a: TestApp, concurrency: number, query: string): Promise<FloodResult> {
  const until = Date.now() + FLOOD_MS;
  const queryStatuses: number[] = [];
  const loops = Array.from({ length: concurrency }, async () => {
    while (Date.now() < until) {
      queryStatuses.push((await a.app.inject({ url: `${a.base}?${query}` })).statusCode);
    }
  });
  // Let the flood take its connections first.
  await new Promise((resolve) => setTimeout(resolve, 200));
  const startStatuses: number[] = [];
  const startMs: number[] = [];
  const readyStatuses: number[] = [];
  const probes = (async () => {
    while (Date.now() < until) {
      readyStatuses.push((await a.app.inject({ url: "/readyz" })).statusCode);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  })();
  for (let i = 0; Date.now() < until - 500; i++) {
    const t0 = Date.now();
    const res = await a.app.inject({
      method: "POST",
      url: a.base,
      payload: { _customer_number: `+1650466${String(1000 + i)}` },
    });
    startStatuses.push(res.statusCode);
    startMs.push(Date.now() - t0);
  }
  await Promise.all([...loops, probes]);
  return { startStatuses, startMs, readyStatuses, queryStatuses };
}

/**
 * The starts of a flood are only measured, so the queue cap (1000 by default) must not answer
 * them: on an idle machine the capped flood starts more than 1000 callbacks in its 10 s.
 */
const FLOOD_OPTIONS = { ...PERMISSIVE, _max_queued_callbacks_per_service: "1000000" };

const QUERY = `${Array.from({ length: 19 }, (_, i) => `f${i}=x`).join("&")}&operand=OR`;

describe("a query flood on postgres", () => {
  let created: CreatedDatabase;
  let db: Database;
  beforeAll(async () => {
    created = await createPostgresDatabase();
    db = postgresDatabase(created.url, 4);
    await migrate(db);
  });
  afterAll(async () => {
    await db.close();
    await created.drop();
  });

  it("leaves starts and readiness their connections: heavy queries hold at most half the pool", async () => {
    const a = await makeApp(new Store(slowHeavyQueries(db, db.heavyQuerySlots)), FLOOD_OPTIONS);
    expect(db.heavyQuerySlots).toBe(2);
    const result = await flood(a, 16, QUERY);
    expect(result.startStatuses.length).toBeGreaterThan(5);
    expect(result.startStatuses.every((status) => status === 200)).toBe(true);
    expect(Math.max(...result.startMs)).toBeLessThan(SLOW_SECONDS * 1000);
    expect(result.readyStatuses.every((status) => status === 200)).toBe(true);
    // The flood itself: served in turn, or told the service is busy (never a 500).
    expect(result.queryStatuses.every((status) => status === 200 || status === 503)).toBe(true);
    expect(result.queryStatuses.filter((status) => status === 200).length).toBeGreaterThan(0);
    console.info(
      `postgres flood, capped: ${result.startStatuses.length} starts, max ${Math.max(...result.startMs)} ms; ${result.queryStatuses.length} queries (${result.queryStatuses.filter((s) => s === 503).length} x 503); readyz ${result.readyStatuses.length} x 200`,
    );
  });

  it("control: without the cap the same flood holds every connection and starts wait or fail", async () => {
    const a = await makeApp(new Store(slowHeavyQueries(db, 4)), FLOOD_OPTIONS);
    const result = await flood(a, 16, QUERY);
    const slowOrFailed = result.startStatuses.filter(
      (status, i) => status !== 200 || (result.startMs[i] ?? 0) >= SLOW_SECONDS * 1000 * 0.5,
    );
    expect(slowOrFailed.length).toBeGreaterThan(0);
    // Readiness has its own connection either way.
    expect(result.readyStatuses.every((status) => status === 200)).toBe(true);
    console.info(
      `postgres flood, uncapped: ${result.startStatuses.length} starts, max ${Math.max(...result.startMs)} ms, statuses ${[...new Set(result.startStatuses)].join(",")}`,
    );
  });

  it("ends a statement after 5 s with a busy error, not a held connection", async () => {
    const t0 = Date.now();
    const error = await db.query("SELECT pg_sleep(30)").then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DatabaseError);
    expect((error as DatabaseError).busy).toBe(true);
    expect(Date.now() - t0).toBeLessThan(8_000);
  });
});

describe("a query flood on pglite", () => {
  let t: TestStore;
  beforeAll(async () => {
    t = await openStore("pglite");
  });
  afterAll(async () => {
    await t.close();
  });

  it("keeps starts and readiness answered while heavy queries scan a filled table", async () => {
    const a = await makeApp(t.store, FLOOD_OPTIONS);
    const properties = Object.fromEntries(
      Array.from({ length: 50 }, (_, i) => [`key${i}`, `value ${i} `.repeat(10)]),
    );
    await t.db.transaction(async (client) => {
      for (let i = 0; i < 1_000; i++) {
        await client.query(
          `INSERT INTO callbacks (id, service_name, state, customer_number, desired_time, scheduled,
             expiration_time, created_at, updated_at, properties)
           VALUES ($1, $2, 'COMPLETED', '+15115', $3, false, $4, $3, $3, $5)`,
          [
            `FILL${i}`,
            a.serviceName,
            new Date(START),
            new Date(Date.parse(START) + 86_400_000),
            JSON.stringify(properties),
          ],
        );
      }
    });
    const heavy = `${Array.from({ length: 19 }, (_, i) => `key${i}=x`).join("&")}&operand=OR`;
    const t0 = Date.now();
    await a.app.inject({ url: `${a.base}?${heavy}` });
    const oneQueryMs = Date.now() - t0;
    // The engine runs inside this process, one statement at a time: the loops run by count, not
    // by the clock, all at once; each start's statements wait behind at most one heavy query.
    const queryStatuses: number[] = [];
    const startStatuses: number[] = [];
    const startMs: number[] = [];
    const readyStatuses: number[] = [];
    const queries = Array.from({ length: 8 }, async () => {
      for (let i = 0; i < 4; i++)
        queryStatuses.push((await a.app.inject({ url: `${a.base}?${heavy}` })).statusCode);
    });
    const starts = (async () => {
      for (let i = 0; i < 10; i++) {
        const started = Date.now();
        const res = await a.app.inject({
          method: "POST",
          url: a.base,
          payload: { _customer_number: `+1650466${String(2000 + i)}` },
        });
        startStatuses.push(res.statusCode);
        startMs.push(Date.now() - started);
      }
    })();
    const probes = (async () => {
      for (let i = 0; i < 10; i++)
        readyStatuses.push((await a.app.inject({ url: "/readyz" })).statusCode);
    })();
    await Promise.all([...queries, starts, probes]);
    expect(startStatuses).toEqual(Array.from({ length: 10 }, () => 200));
    expect(readyStatuses).toEqual(Array.from({ length: 10 }, () => 200));
    expect(queryStatuses.every((status) => status === 200 || status === 503)).toBe(true);
    console.info(
      `pglite flood: one heavy query alone ${oneQueryMs} ms; 32 queries (${queryStatuses.filter((x) => x === 503).length} x 503) beside 10 starts (max ${Math.max(...startMs)} ms) and 10 readyz, all 200`,
    );
  });
});
