// `callback-operator callback-api migrate`, the real process: 1,000 callbacks of one service move
// from embedded PGlite to PostgreSQL and back, and every row of every service table arrives as it
// was; a target already holding the service is refused unless --replace; an unreachable target
// and bad flags stop with one line.
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SCHEMA_TABLES, SERVICE_TABLES } from "../../src/callback-api/schema-tables.ts";
import {
  pgliteDatabase,
  postgresDatabase,
  type Database,
} from "../../src/callback-api/database.ts";
import { parseMigrateFlags } from "../../src/callback-api/migrate-command.ts";
import { migrate } from "../../src/callback-api/migrations.ts";
import { CALLBACK_STATES, Store } from "../../src/callback-api/store.ts";
import { recordFigures } from "../support/figures.ts";
import { createPostgresDatabase } from "./support/databases.ts";
import { CLI, NODE } from "./support/server-process.ts";

const COUNT = 1_000;
const SERVICE = "moving";
const OTHER = "staying";

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "cbapi-migrate-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

function migrateCommand(args: readonly string[]): Promise<Run> {
  const started = performance.now();
  const child = spawn(NODE, [CLI, "callback-api", "migrate", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  return new Promise((resolve) => {
    child.once("exit", (code) => {
      resolve({ code, stdout, stderr, ms: Math.round(performance.now() - started) });
    });
  });
}

/** Every row of every service table of `service`, as text, in key order: what "identical" means. */
async function dump(db: Database, service: string): Promise<Record<string, string[]>> {
  return db.transaction(async (tx) => {
    await tx.query("SET LOCAL TimeZone = 'UTC'");
    const tables: Record<string, string[]> = {};
    for (const table of SERVICE_TABLES) {
      const rows = await tx.query<{ row: string }>(
        `SELECT to_jsonb(t)::text AS row FROM ${table.name} t
         WHERE ${table.serviceColumn} = $1 ORDER BY ${table.order}`,
        [service],
      );
      tables[table.name] = rows.map((r) => r.row);
    }
    return tables;
  });
}

const UNICODE = [
  "Grüße",
  "日本語のメモ",
  "😀👍🏽",
  "مرحبا",
  "\u202eRTL",
  "tab\tand\nnewline",
  "'; DROP",
];

/** 1,000 callbacks in every state, with claims, retries, reasons, times to the µs and user data. */
async function fill(db: Database): Promise<void> {
  const store = new Store(db);
  await store.registerService({ name: SERVICE, serviceGroups: ["grüppe", "b"] }, Date.now());
  await store.registerService({ name: OTHER, serviceGroups: [] }, Date.now());
  const base = Date.UTC(2026, 10, 29, 12, 0, 0);
  await db.transaction(async (tx) => {
    for (let i = 0; i < COUNT + 20; i++) {
      const service = i < COUNT ? SERVICE : OTHER;
      const state = CALLBACK_STATES[i % CALLBACK_STATES.length] ?? "QUEUED";
      const claimed = state === "ROUTING";
      const retried = state === "QUEUED" && i % 3 === 0;
      const micros = String(i % 1_000_000).padStart(6, "0");
      await tx.query(
        `INSERT INTO callbacks VALUES ($1, $2, $3, $4, $5, $6::timestamptz + $7::interval, $8, $9,
           $10, $11, $12::jsonb, $13, $14, $15, $16, $17)`,
        [
          `${service}-${String(i).padStart(5, "0")}-${randomUUID()}`,
          service,
          state,
          state === "COMPLETED" ? ["CANCELLED", "ROUTED", "FAILED_ORS", "ÄNDERUNG"][i % 4] : null,
          i % 7 === 0 ? null : `+1555${String(1_000_000 + i)}`,
          new Date(base + i * 60_000).toISOString(),
          `0.${micros} seconds`,
          state === "SCHEDULED" || i % 2 === 0,
          new Date(base + 86_400_000 * 14 + i).toISOString(),
          new Date(base - i * 1000),
          new Date(base - i * 500),
          JSON.stringify({
            _customer_number: `+1555${String(1_000_000 + i)}`,
            note: `${UNICODE[i % UNICODE.length] ?? ""} #${String(i)}`,
            [`schlüssel_${String(i % 5)}`]: "wert",
            ...(i % 11 === 0 ? { _ors: "http://127.0.0.1:1/ors" } : {}),
          }),
          claimed || retried ? (i % 4) + 1 : 0,
          retried ? new Date(base + 30_000) : null,
          claimed ? `worker-${String(i % 3)}` : null,
          claimed ? new Date(base + 60_000) : null,
          retried ? `HTTP 503 from _ors "${UNICODE[i % UNICODE.length] ?? ""}"` : null,
        ],
      );
    }
  });
  for (const [service, value] of [
    [SERVICE, "+15551000001"],
    [SERVICE, "+15551000002"],
    [SERVICE, "+15551000002"],
    [OTHER, "+15551000001"],
  ] as const) {
    await store.db.query(
      `INSERT INTO throttle_counters (service_name, parameter, value, day, count)
       VALUES ($1, '_customer_number', $2, '2026-11-29', 1)
       ON CONFLICT (service_name, parameter, value, day)
       DO UPDATE SET count = throttle_counters.count + 1`,
      [service, value],
    );
  }
  for (const [service, number] of [
    [SERVICE, "+18005550100"],
    [OTHER, "+18005550101"],
  ] as const) {
    await store.bookAccessNumber({
      numbers: [number],
      resourceGroup: "DNIS",
      serviceName: service,
      callbackId: `${service}-booking`,
      accessCode: "123456",
      now: Date.UTC(2026, 10, 29, 12, 0, 0),
      expiresAt: Date.UTC(2026, 10, 29, 12, 0, 30),
    });
  }
}

describe("callback-api migrate: flags", () => {
  const base = ["--service-name", "s"];

  it("reads the stores and --replace, with environment twins", () => {
    expect(
      parseMigrateFlags(
        [...base, "--from-data-dir", "/d", "--to-database-url", "postgres://h/db"],
        {},
      ),
    ).toEqual({
      kind: "config",
      config: {
        serviceName: "s",
        from: { storage: { kind: "pglite", dataDir: "/d" }, flag: "--from-data-dir" },
        to: {
          storage: { kind: "postgres", url: "postgres://h/db", poolSize: 10 },
          flag: "--to-database-url",
        },
        replace: false,
      },
    });
    expect(
      parseMigrateFlags([], {
        CALLBACK_API_SERVICE_NAME: "env",
        CALLBACK_API_MIGRATE_FROM_DATABASE_URL: "postgres://h/a",
        CALLBACK_API_MIGRATE_TO_DATA_DIR: "/e",
        CALLBACK_API_MIGRATE_REPLACE: "true",
      }),
    ).toMatchObject({
      config: { serviceName: "env", from: { flag: "--from-database-url" }, replace: true },
    });
  });

  it.each([
    [["--from-data-dir", "/d", "--to-data-dir", "/e"], "--service-name is required"],
    [[...base, "--to-data-dir", "/e"], "no from store: pass --from-data-dir DIR"],
    [[...base, "--from-data-dir", "/d"], "no to store: pass --to-data-dir DIR"],
    [
      [
        ...base,
        "--from-data-dir",
        "/d",
        "--from-database-url",
        "postgres://h/a",
        "--to-data-dir",
        "/e",
      ],
      "--from-data-dir and --from-database-url exclude each other",
    ],
    [[...base, "--from-data-dir", "/d", "--to-data-dir", "/x/../d/"], "name the same store"],
    [
      [
        ...base,
        "--from-database-url",
        "postgres://a@h/db",
        "--to-database-url",
        "postgres://b@h:5432/db",
      ],
      "name the same store",
    ],
    [
      [...base, "--from-data-dir", "/d", "--to-database-url", "mysql://h/db"],
      "--to-database-url must start with postgres://",
    ],
    [
      [...base, "--from-data-dir", "/d", "--to-data-dir", "/e", "--replace=yes"],
      "--replace takes no value",
    ],
    [
      [...base, "--from-data-dir", "/d", "--to-data-dir", "/e", "--merge"],
      'unknown flag "--merge"',
    ],
  ])("refuses %j", (argv, message) => {
    const result = parseMigrateFlags(argv, {});
    expect(result.kind).toBe("error");
    expect(result.kind === "error" ? result.message : "").toContain(message);
  });

  it("knows every table of the schema that holds a service's data", async () => {
    const db = await pgliteDatabase(undefined);
    try {
      await migrate(db);
      const tables = await db.query<{ table_name: string }>(
        `SELECT table_name FROM information_schema.tables
         WHERE table_schema = 'public' AND table_name <> 'callback_api_migrations' ORDER BY 1`,
      );
      expect(tables.map((t) => t.table_name)).toEqual([...SCHEMA_TABLES].sort());
    } finally {
      await db.close();
    }
  });
});

describe("callback-api migrate: the process", () => {
  it(
    `moves ${String(COUNT)} callbacks embedded → PostgreSQL → embedded with identical records`,
    { timeout: 600_000 },
    async () => {
      const sourceDir = join(await tempDir(), "data");
      const source = await pgliteDatabase(sourceDir);
      await migrate(source);
      await fill(source);
      const original = await dump(source, SERVICE);
      await source.close();
      expect(original["callbacks"]).toHaveLength(COUNT);
      expect(original["throttle_counters"]).toHaveLength(2);
      expect(original["access_bookings"]).toHaveLength(1);
      expect(original["services"]).toHaveLength(1);

      const postgres = await createPostgresDatabase();
      cleanups.push(postgres.drop);
      const there = await migrateCommand([
        "--service-name",
        SERVICE,
        "--from-data-dir",
        sourceDir,
        "--to-database-url",
        postgres.url,
      ]);
      expect(there.stderr).toBe("");
      expect(there.code).toBe(0);
      expect(there.stdout).toContain(
        `service ${SERVICE}: copied ${String(COUNT)} callbacks, 2 throttle counters, 1 access-number bookings and 1 service entry from --from-data-dir ${sourceDir} to --to-database-url`,
      );
      const pg = postgresDatabase(postgres.url);
      try {
        expect(await dump(pg, SERVICE)).toEqual(original);
        // Only the named service moves.
        expect(await dump(pg, OTHER)).toEqual({
          callbacks: [],
          throttle_counters: [],
          services: [],
          access_bookings: [],
        });
        // Times keep their microseconds on the way.
        const [sample] = await pg.query<{ us: string }>(
          `SELECT to_char(desired_time, 'US') AS us FROM callbacks WHERE id LIKE $1`,
          [`${SERVICE}-00123-%`],
        );
        expect(sample?.us).toBe("000123");
      } finally {
        await pg.close();
      }

      const backDir = join(await tempDir(), "data");
      const back = await migrateCommand([
        "--service-name",
        SERVICE,
        "--from-database-url",
        postgres.url,
        "--to-data-dir",
        backDir,
      ]);
      expect(back.stderr).toBe("");
      expect(back.code).toBe(0);
      const embedded = await pgliteDatabase(backDir);
      try {
        expect(await dump(embedded, SERVICE)).toEqual(original);
        expect((await dump(embedded, OTHER))["callbacks"]).toEqual([]);
        // The records read back through the store as the server reads them.
        const store = new Store(embedded);
        const first = original["callbacks"]?.[0] ?? "";
        const id = (JSON.parse(first) as { id: string }).id;
        expect((await store.getById(id))?.properties["note"]).toBe(`${UNICODE[0] ?? ""} #0`);
      } finally {
        await embedded.close();
      }

      const seconds = (line: string): string => / in ([\d.]+) s;/.exec(line)?.[1] ?? "?";
      recordFigures({
        id: "migrate-command",
        title: `callback-api migrate: ${String(COUNT)} callbacks embedded → PostgreSQL → embedded, records identical`,
        test: "test/callback-api/migrate-command.test.ts",
        figures: [
          { label: "embedded → PostgreSQL: copy", value: seconds(there.stdout), unit: "s" },
          { label: "whole process", value: (there.ms / 1000).toFixed(1), unit: "s" },
          { label: "PostgreSQL → embedded: copy", value: seconds(back.stdout), unit: "s" },
          { label: "whole process", value: (back.ms / 1000).toFixed(1), unit: "s" },
        ],
      });
    },
  );

  it(
    "refuses an unknown service, and a target holding the service's records unless --replace",
    { timeout: 300_000 },
    async () => {
      const sourceDir = join(await tempDir(), "data");
      const source = await pgliteDatabase(sourceDir);
      await migrate(source);
      const store = new Store(source);
      await store.registerService({ name: SERVICE, serviceGroups: [] }, Date.now());
      await store.insert({
        id: "kept-in-source",
        serviceName: SERVICE,
        state: "QUEUED",
        customerNumber: "+15550000001",
        desiredTime: Date.now(),
        scheduled: false,
        expirationTime: Date.now() + 86_400_000,
        now: Date.now(),
        properties: { note: "from the source" },
      });
      await source.close();

      const postgres = await createPostgresDatabase();
      cleanups.push(postgres.drop);
      const target = postgresDatabase(postgres.url);
      await migrate(target);
      const targetStore = new Store(target);
      for (const id of ["already-there-1", "already-there-2"]) {
        await targetStore.insert({
          id,
          serviceName: SERVICE,
          state: "SCHEDULED",
          customerNumber: null,
          desiredTime: Date.now() + 3_600_000,
          scheduled: true,
          expirationTime: Date.now() + 86_400_000,
          now: Date.now(),
          properties: {},
        });
      }
      const args = [
        "--service-name",
        SERVICE,
        "--from-data-dir",
        sourceDir,
        "--to-database-url",
        postgres.url,
      ];
      try {
        // A mistyped service name copies nothing and says so, rather than "copied 0".
        const mistyped = await migrateCommand(args.map((a) => (a === SERVICE ? "movng" : a)));
        expect(mistyped.code).toBe(1);
        expect(mistyped.stderr.trimEnd().split("\n")).toEqual([
          `callback-api migrate: --from-data-dir ${sourceDir} holds nothing of service movng (services there: ${SERVICE}): check --service-name; nothing was copied`,
        ]);
        const refused = await migrateCommand(args);
        expect(refused.code).toBe(1);
        expect(refused.stdout).toBe("");
        const lines = refused.stderr.trimEnd().split("\n");
        expect(lines).toHaveLength(1);
        expect(lines[0]).toContain(
          `already holds records of service ${SERVICE} (2 callbacks): nothing was copied; add --replace`,
        );
        const ids = async (): Promise<string[]> =>
          (
            await target.query<{ id: string }>(
              "SELECT id FROM callbacks WHERE service_name = $1 ORDER BY id",
              [SERVICE],
            )
          ).map((r) => r.id);
        expect(await ids()).toEqual(["already-there-1", "already-there-2"]);

        const replaced = await migrateCommand([...args, "--replace"]);
        expect(replaced.stderr).toBe("");
        expect(replaced.code).toBe(0);
        expect(await ids()).toEqual(["kept-in-source"]);
      } finally {
        await target.close();
      }
    },
  );

  it(
    "stops with one line naming the flag when the target is unreachable",
    { timeout: 300_000 },
    async () => {
      const sourceDir = join(await tempDir(), "data");
      const source = await pgliteDatabase(sourceDir);
      await migrate(source);
      await source.close();
      const run = await migrateCommand([
        "--service-name",
        SERVICE,
        "--from-data-dir",
        sourceDir,
        "--to-database-url",
        "postgres://callbacks:s3cret@127.0.0.1:1/callbacks",
      ]);
      expect(run.code).toBe(1);
      expect(run.stdout).toBe("");
      expect(run.stderr.trimEnd().split("\n")).toEqual([
        "callback-api migrate: --to-database-url: nothing accepts connections at callbacks@127.0.0.1:1/callbacks (ECONNREFUSED): start PostgreSQL or fix the host and port of the URL",
      ]);
    },
  );

  it("stops with one line on bad flags and on a source that holds no store", async () => {
    const empty = await tempDir();
    const noStore = await migrateCommand([
      "--service-name",
      SERVICE,
      "--from-data-dir",
      empty,
      "--to-data-dir",
      join(empty, "target"),
    ]);
    expect(noStore.code).toBe(1);
    expect(noStore.stderr.trimEnd().split("\n")).toEqual([
      `callback-api migrate: --from-data-dir ${empty} holds no PGlite store (no PG_VERSION file): point it at the service's data directory, the server's --data-dir`,
    ]);
    const bad = await migrateCommand(["--from-data-dir", empty, "--to-data-dir", "/elsewhere"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(bad.stderr).toContain("--service-name is required");
  });
});
