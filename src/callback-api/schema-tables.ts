// The tables of the schema migrations.ts creates, by what they hold: the copy (copy-service.ts)
// moves the service tables and leaves the derived ones to the target's triggers; PGlite's
// maintenance pass (store.ts) vacuums them all. migrate-command.test.ts checks the lists against
// the migrated schema.
export interface ServiceTable {
  readonly name: string;
  /** The column holding the service name. */
  readonly serviceColumn: string;
  /** A total order of the service's rows (the primary key), so both sides hash the same sequence. */
  readonly order: string;
}

/** The tables a copy moves: every one holding a service's own rows. */
export const SERVICE_TABLES: readonly ServiceTable[] = [
  { name: "callbacks", serviceColumn: "service_name", order: "id" },
  { name: "throttle_counters", serviceColumn: "service_name", order: "parameter, value, day" },
  { name: "services", serviceColumn: "name", order: "name" },
  // Access numbers booked by the service's user-originated callbacks (ADR 0110).
  { name: "access_bookings", serviceColumn: "service_name", order: "access_number" },
];

/**
 * Tables derived from the service's rows, never copied: the target's triggers keep its counts
 * (migration 6, ADR 0137) from the rows the copy writes and deletes there.
 */
const DERIVED_TABLES: readonly string[] = ["callback_counts", "callback_count_deltas"];

/** Every table holding a service's data, derived or not; `callback_api_migrations` belongs to the store. */
export const SCHEMA_TABLES: readonly string[] = [
  ...SERVICE_TABLES.map((table) => table.name),
  ...DERIVED_TABLES,
];
