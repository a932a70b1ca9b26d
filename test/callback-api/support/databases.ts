// The two engines every storage test runs against: a fresh PostgreSQL database, and PGlite.
import { randomBytes } from "node:crypto";
import { inject } from "vitest";
import {
  pgliteDatabase,
  postgresDatabase,
  type Database,
} from "../../../src/callback-api/database.ts";
import { migrate } from "../../../src/callback-api/migrations.ts";
import { Store } from "../../../src/callback-api/store.ts";
import { createDatabase, type CreatedDatabase } from "./postgres-admin.ts";

export const BACKENDS = ["postgres", "pglite"] as const;
export type Backend = (typeof BACKENDS)[number];

/** A new, empty PostgreSQL database for this run; `drop` removes it. */
export async function createPostgresDatabase(): Promise<CreatedDatabase> {
  return createDatabase(
    inject("pgAdminUrl"),
    `cbapi_${inject("pgRunId")}_${randomBytes(4).toString("hex")}`,
  );
}

export interface TestStore {
  readonly db: Database;
  readonly store: Store;
  close(): Promise<void>;
}

export interface TestDatabase {
  readonly db: Database;
  readonly close: () => Promise<void>;
}

/** A new, empty database of `backend`, made ready by `prepare` (migrate, or an older schema). */
export async function openDatabase(
  backend: Backend,
  prepare: (db: Database) => Promise<unknown>,
): Promise<TestDatabase> {
  if (backend === "pglite") {
    const db = await pgliteDatabase(undefined);
    await prepare(db);
    return { db, close: () => db.close() };
  }
  const created = await createPostgresDatabase();
  const db = postgresDatabase(created.url);
  await prepare(db);
  return {
    db,
    close: async () => {
      await db.close();
      await created.drop();
    },
  };
}

export async function openStore(backend: Backend): Promise<TestStore> {
  const { db, close } = await openDatabase(backend, migrate);
  return { db, store: new Store(db), close };
}

/** The bytes of a table's main file: what a vacuum lets the next rows reuse. */
export async function tableBytes(db: Database, table: string): Promise<number> {
  const rows = await db.query<{ bytes: string }>("SELECT pg_relation_size($1) AS bytes", [table]);
  return Number(rows[0]?.bytes);
}
