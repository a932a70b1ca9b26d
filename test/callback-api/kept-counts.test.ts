// The counts migration 6 keeps (ADR 0137) must say exactly what counting the rows says, after every
// kind of write a replica, an operator at a SQL prompt, a purge or a copy makes: the queue cap and
// the rate windows read nothing else.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/callback-api/database.ts";
import { migrate, migrations } from "../../src/callback-api/migrations.ts";
import {
  CALLBACK_STATES,
  type CallbackState,
  type NewCallback,
  type StartChecks,
} from "../../src/callback-api/store.ts";
import {
  BACKENDS,
  openDatabase,
  openStore,
  tableBytes,
  type TestStore,
} from "./support/databases.ts";

const T0 = Date.parse("2030-03-04T10:00:00.000Z");
let seq = 0;

function callback(serviceName: string, now: number, state: CallbackState = "QUEUED"): NewCallback {
  seq++;
  return {
    id: `kept-${String(seq)}`,
    serviceName,
    state,
    customerNumber: `+1555${String(seq).padStart(7, "0")}`,
    desiredTime: now,
    scheduled: state === "SCHEDULED",
    expirationTime: now + 600_000,
    now,
    properties: {},
  };
}

const ADMIT_ALL: StartChecks = {
  locks: [],
  hold: "lane",
  rate: [
    { since: T0 - 300_000, limit: 1_000_000 },
    { since: T0 - 3_600_000, limit: 1_000_000 },
  ],
  throttles: { values: [], day: "2030-03-04", limit: 1 },
  inQueueLimit: undefined,
  queueCap: 1_000_000,
  bucket: undefined,
  access: undefined,
};

/** Every state's kept count and every window's, against counting the rows, for one service. */
async function expectCountsMatchRows(db: Database, service: string): Promise<void> {
  const states = await db.query<{ state: string; kept: number; rows: number }>(
    `SELECT s AS state, callback_api_count_states($1, ARRAY[s])::int AS kept,
            (SELECT count(*)::int FROM callbacks WHERE service_name = $1 AND state = s) AS rows
     FROM unnest($2::text[]) AS s`,
    [service, CALLBACK_STATES],
  );
  expect(states.filter((row) => row.kept !== row.rows)).toEqual([]);
  // Windows opening anywhere over the run, on slice edges, on a row's own created_at and between.
  const windows = await db.query<{ since: Date; kept: number; rows: number }>(
    `WITH since AS (
       SELECT $2::timestamptz + make_interval(secs => i * 0.25) AS at
       FROM generate_series(-8, 1200) AS i
       UNION SELECT created_at FROM callbacks WHERE service_name = $1)
     SELECT at AS since, callback_api_count_created_since($1, at)::int AS kept,
            (SELECT count(*)::int FROM callbacks
             WHERE service_name = $1 AND created_at > at) AS rows
     FROM since`,
    [service, new Date(T0)],
  );
  expect(windows.length).toBeGreaterThan(1200);
  expect(windows.filter((row) => row.kept !== row.rows)).toEqual([]);
}

async function deltaRows(db: Database, service: string): Promise<number> {
  const rows = await db.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM callback_count_deltas WHERE service_name = $1",
    [service],
  );
  return rows[0]?.n ?? -1;
}

/** The schema as the previous release left it: migrations 1 to 5, recorded. */
async function migrateToVersion5(db: Database): Promise<void> {
  await db.exec(
    "CREATE TABLE callback_api_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
  );
  for (const migration of migrations.filter((m) => m.version <= 5)) {
    await db.exec(migration.sql);
    await db.query("INSERT INTO callback_api_migrations (version, name) VALUES ($1, $2)", [
      migration.version,
      migration.name,
    ]);
  }
}

describe.each(BACKENDS)("kept counts on %s", (backend) => {
  let t: TestStore;
  beforeAll(async () => {
    t = await openStore(backend);
  });
  afterAll(async () => {
    await t.close();
  });

  it("match the rows through starts, state changes, claims, bulk writes, purges and deletes", async () => {
    const service = "kept-all";
    // 120 starts over 4 minutes: many 10-second slices, more deltas than one fold takes.
    const started: NewCallback[] = [];
    for (let i = 0; i < 120; i++) {
      const input = callback(service, T0 + i * 2_150, i % 5 === 0 ? "SCHEDULED" : "QUEUED");
      started.push(input);
      expect((await t.store.start(input, ADMIT_ALL)).outcome).toBe("admitted");
    }
    await expectCountsMatchRows(t.db, service);
    // Every 16th write folded: the deltas a count reads stay below 16 writes' worth (2 each).
    expect(await deltaRows(t.db, service)).toBeLessThan(32);
    expect(await t.store.countQueued(service)).toBe(96);

    const [first, second, third] = started;
    if (first === undefined || second === undefined || third === undefined) throw new Error("no");
    await t.store.complete(first.id, "CANCELLED", T0 + 300_000);
    await t.store.setProperties(second.id, { note: "no state change" }, T0 + 300_000);
    await expectCountsMatchRows(t.db, service);

    const claimed = await t.store.claim(service, "w1", T0 + 300_000, {
      ms: 30_000,
      limit: 10,
      onlyWithOwnOrs: false,
    });
    expect(claimed).toHaveLength(10);
    await expectCountsMatchRows(t.db, service);
    expect(await t.store.releaseExpiredClaims(service, T0 + 400_000)).toBe(10);
    // The 24 scheduled starts less the first, cancelled above.
    expect(await t.store.promoteDue(service, T0 + 400_000, T0 + 400_000)).toBe(23);
    await expectCountsMatchRows(t.db, service);

    // What an operator's SQL or a copy does: bulk updates, another service, deletes.
    await t.db.query(
      "UPDATE callbacks SET state = 'PROCESSING' WHERE service_name = $1 AND id LIKE '%3'",
      [service],
    );
    await t.db.query("UPDATE callbacks SET service_name = 'kept-moved' WHERE id = $1", [third.id]);
    await t.db.query(
      "UPDATE callbacks SET created_at = created_at - interval '95 seconds' WHERE id LIKE '%1'",
    );
    await expectCountsMatchRows(t.db, service);
    await expectCountsMatchRows(t.db, "kept-moved");
    expect(await t.store.purgeExpired(service, T0 + 700_000, "2030-03-04")).toBeGreaterThan(30);
    await expectCountsMatchRows(t.db, service);
    await t.db.query("DELETE FROM callbacks WHERE service_name = $1 AND id LIKE '%7'", [service]);
    await expectCountsMatchRows(t.db, service);
    // A transaction that rolls back leaves rows and counts as they were.
    await expect(
      t.db.transaction(async (tx) => {
        await tx.query("DELETE FROM callbacks WHERE service_name = $1", [service]);
        throw new Error("rolled back");
      }),
    ).rejects.toThrow("rolled back");
    await expectCountsMatchRows(t.db, service);
    expect(await t.store.queuedCounts()).toEqual(
      new Map(
        (
          await t.db.query<{ service_name: string; n: number }>(
            `SELECT service_name, count(*)::int AS n FROM callbacks
             WHERE state IN ('QUEUED', 'ROUTING', 'PROCESSING') GROUP BY 1`,
          )
        ).map((row) => [row.service_name, row.n]),
      ),
    );
  });

  it("fold away the rows of counts that fell to zero", async () => {
    const service = "kept-zero";
    for (let i = 0; i < 40; i++) {
      await t.store.start(callback(service, T0 + i * 1_000), ADMIT_ALL);
    }
    await t.db.query("DELETE FROM callbacks WHERE service_name = $1", [service]);
    await t.db.query("SELECT callback_api_fold_counts($1)", [service]);
    const left = await t.db.query<{ n: number }>(
      `SELECT (SELECT count(*) FROM callback_counts WHERE service_name = $1)
            + (SELECT count(*) FROM callback_count_deltas WHERE service_name = $1) AS n`,
      [service],
    );
    expect(Number(left[0]?.n)).toBe(0);
  });

  it("give back the space of folded deltas in the maintenance pass", async () => {
    const deltasBytes = () => tableBytes(t.db, "callback_count_deltas");
    const startMany = async (from: number) => {
      for (let i = from; i < from + 600; i++) {
        await t.store.start(callback("kept-space", T0 + i * 100), ADMIT_ALL);
      }
    };
    await startMany(0);
    const grown = await deltasBytes();
    await t.store.reclaimDeadRows();
    await startMany(600);
    // PGlite has no autovacuum: the pass vacuums, and the next starts reuse the space (without it
    // the table grows by about 56 bytes a start). PostgreSQL's autovacuum is left to do it there.
    if (backend === "pglite") expect(await deltasBytes()).toBeLessThanOrEqual(grown);
    await expectCountsMatchRows(t.db, "kept-space");
  });

  it("empty with the table on TRUNCATE", async () => {
    await t.store.start(callback("kept-truncate", T0), ADMIT_ALL);
    await t.db.exec("TRUNCATE callbacks");
    expect(await t.store.countQueued("kept-truncate")).toBe(0);
    expect(await t.store.queuedCounts()).toEqual(new Map());
  });

  it("count the rows already there when a version-5 database migrates", async () => {
    const old = await openDatabase(backend, migrateToVersion5);
    try {
      await old.db.query(
        `INSERT INTO callbacks (id, service_name, state, customer_number, desired_time, scheduled,
           expiration_time, created_at, updated_at, properties)
         SELECT 'old-' || i, 'old-' || (i % 3), (ARRAY['QUEUED', 'SCHEDULED', 'COMPLETED'])[i % 3 + 1],
           '+1555' || i, $1::timestamptz, false, $1::timestamptz + interval '1 day',
           $1::timestamptz + make_interval(secs => i * 1.3), $1::timestamptz, '{}'
         FROM generate_series(1, 200) AS i`,
        [new Date(T0)],
      );
      expect((await migrate(old.db)).applied).toEqual(["6-kept-counts"]);
      for (const service of ["old-0", "old-1", "old-2"]) {
        await expectCountsMatchRows(old.db, service);
      }
    } finally {
      await old.close();
    }
  });
});
