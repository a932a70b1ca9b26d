// Opens the store a command was pointed at and brings its schema up to date, turning each way that
// can fail into a StartFailure naming the flag that chose the store. Shared by the server and the
// migrate command, whose flags differ (--database-url, --from-data-dir, ...).
import { mkdir } from "node:fs/promises";
import { pgliteDatabase, postgresDatabase, type Database } from "./database.ts";
import { migrate, type MigrationResult } from "./migrations.ts";
import {
  connectFailure,
  dataDirFailure,
  describeDatabaseUrl,
  schemaFailure,
} from "./start-failure.ts";

export type StorageChoice =
  | { readonly kind: "postgres"; readonly url: string; readonly poolSize: number }
  | { readonly kind: "pglite"; readonly dataDir: string }
  | { readonly kind: "memory" };

/** A store and the flag that chose it, as error messages name it: `--data-dir /var/lib/x`. */
export interface StoreChoice {
  readonly storage: StorageChoice;
  /** The flag of the URL or data directory; unused for `memory`. */
  readonly flag: string;
}

export function describeStore({ storage, flag }: StoreChoice): string {
  switch (storage.kind) {
    case "postgres":
      return `${flag} ${describeDatabaseUrl(storage.url)}`;
    case "pglite":
      return `${flag} ${storage.dataDir}`;
    case "memory":
      return "--in-memory";
  }
}

async function connect({ storage, flag }: StoreChoice): Promise<Database> {
  if (storage.kind === "postgres") {
    const db = postgresDatabase(storage.url, storage.poolSize);
    try {
      // The pool connects lazily: one statement now, so an unreachable server or refused login is
      // reported as such, not as a failed migration.
      await db.query("SELECT 1");
    } catch (error) {
      await db.close().catch(() => undefined);
      throw connectFailure(flag, storage.url, error);
    }
    return db;
  }
  if (storage.kind === "memory") return pgliteDatabase(undefined);
  try {
    await mkdir(storage.dataDir, { recursive: true });
    return await pgliteDatabase(storage.dataDir);
  } catch (error) {
    throw dataDirFailure(flag, storage.dataDir, error);
  }
}

/** Opens the store and migrates its schema; throws a StartFailure for any failure. */
export async function openStore(
  choice: StoreChoice,
): Promise<{ db: Database; migration: MigrationResult }> {
  const db = await connect(choice);
  try {
    return { db, migration: await migrate(db) };
  } catch (error) {
    await db.close().catch(() => undefined);
    throw schemaFailure(describeStore(choice), error);
  }
}
