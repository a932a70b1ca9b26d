// The two engines every storage test runs against: a fresh PostgreSQL database, and PGlite.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { inject } from "vitest";
import {
  pgliteDatabase,
  postgresDatabase,
  type Database,
} from "../../../src/callback-api/database.ts";
import { migrate } from "../../../src/callback-api/migrations.ts";
import { Store } from "../../../src/callback-api/store.ts";

export const BACKENDS = ["postgres", "pglite"] as const;
export type Backend = (typeof BACKENDS)[number];

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: inject("pgAdminUrl") });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A new, empty PostgreSQL database for this run; `drop` removes it. */
export async function createPostgresDatabase(): Promise<{
  url: string;
  drop: () => Promise<void>;
}> {
  const name = `cbapi_${inject("pgRunId")}_${randomBytes(4).toString("hex")}`;
  await adminQuery(`CREATE DATABASE "${name}"`);
  const url = new URL(inject("pgAdminUrl"));
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
}

export interface TestStore {
  readonly db: Database;
  readonly store: Store;
  close(): Promise<void>;
}

export async function openStore(backend: Backend): Promise<TestStore> {
  if (backend === "pglite") {
    const db = await pgliteDatabase(undefined);
    await migrate(db);
    return { db, store: new Store(db), close: () => db.close() };
  }
  const created = await createPostgresDatabase();
  const db = postgresDatabase(created.url);
  await migrate(db);
  return {
    db,
    store: new Store(db),
    async close() {
      await db.close();
      await created.drop();
    },
  };
}
