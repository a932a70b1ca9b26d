// Schema migrations: an ordered list, applied in one transaction under an advisory lock so that
// replicas starting together take turns; the second finds the work done.
import type { Database } from "./database.ts";

interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: "callbacks",
    sql: `
      CREATE TABLE callbacks (
        id text PRIMARY KEY,
        service_name text NOT NULL,
        state text NOT NULL,
        reason text,
        customer_number text,
        desired_time timestamptz NOT NULL,
        scheduled boolean NOT NULL,
        expiration_time timestamptz NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        properties jsonb NOT NULL,
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz,
        claimed_by text,
        claim_expires_at timestamptz,
        last_error text
      );
      CREATE INDEX callbacks_service_desired ON callbacks (service_name, desired_time);
      CREATE INDEX callbacks_service_state ON callbacks (service_name, state);
      CREATE INDEX callbacks_customer_number ON callbacks (customer_number);
      CREATE INDEX callbacks_expiration ON callbacks (expiration_time);
      CREATE TABLE services (
        name text PRIMARY KEY,
        service_groups jsonb NOT NULL,
        updated_at timestamptz NOT NULL
      );
      CREATE TABLE throttle_counters (
        service_name text NOT NULL,
        parameter text NOT NULL,
        value text NOT NULL,
        day text NOT NULL,
        count integer NOT NULL,
        PRIMARY KEY (service_name, parameter, value, day)
      );
    `,
  },
  {
    // The per-service rate throttles count a service's callbacks created within a window.
    version: 2,
    name: "callbacks-created-index",
    sql: "CREATE INDEX callbacks_service_created ON callbacks (service_name, created_at);",
  },
  {
    // User-originated callbacks book an access number (ADR 0110). One row per number: a number
    // is booked by at most one callback of any service until `expires_at`; a row past it is free.
    version: 3,
    name: "access-bookings",
    sql: `
      CREATE TABLE access_bookings (
        access_number text PRIMARY KEY,
        resource_group text NOT NULL,
        service_name text NOT NULL,
        callback_id text NOT NULL,
        access_code text,
        booked_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL
      );
      CREATE INDEX access_bookings_callback ON access_bookings (callback_id);
      CREATE INDEX access_bookings_service_expires ON access_bookings (service_name, expires_at);
    `,
  },
  {
    // Dispatch by ORS session (ADR 0103): the id of the session that owns a handed-off callback,
    // as GMS keeps it (`_ors_session_id`). NULL: not handed off, the dispatcher may claim it.
    version: 4,
    name: "ors-session-id",
    sql: "ALTER TABLE callbacks ADD COLUMN ors_session_id text;",
  },
];

/** Arbitrary constant naming this schema's lock among other advisory locks in a shared database. */
const MIGRATION_LOCK = 7_413_001;

/** The database holds migrations this program does not know: a newer version wrote it. */
export class SchemaTooNewError extends Error {
  override readonly name = "SchemaTooNewError";
  readonly found: number;
  readonly known: number;

  constructor(found: number, known: number) {
    super(`schema version ${found} is newer than this program's ${known}`);
    this.found = found;
    this.known = known;
  }
}

export interface MigrationResult {
  readonly applied: readonly string[];
  readonly version: number;
}

export async function migrate(db: Database): Promise<MigrationResult> {
  // Migrations may rewrite a whole table: they run under the long statement timeout.
  return db.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
    await tx.exec(`
      CREATE TABLE IF NOT EXISTS callback_api_migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
    const done = await tx.query<{ version: number }>("SELECT version FROM callback_api_migrations");
    const doneVersions = new Set(done.map((row) => row.version));
    const known = Math.max(0, ...migrations.map((m) => m.version));
    const found = Math.max(0, ...doneVersions);
    // An older program on a newer schema would read and write columns it does not know of.
    if (found > known) throw new SchemaTooNewError(found, known);
    const applied: string[] = [];
    for (const migration of migrations) {
      if (doneVersions.has(migration.version)) continue;
      await tx.exec(migration.sql);
      await tx.query("INSERT INTO callback_api_migrations (version, name) VALUES ($1, $2)", [
        migration.version,
        migration.name,
      ]);
      applied.push(`${migration.version}-${migration.name}`);
    }
    return { applied, version: known };
  }, "migration");
}
