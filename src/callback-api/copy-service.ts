// Copies one service's records from one store to another (embedded PGlite ↔ PostgreSQL): every
// column of every row, as the source holds it, in one transaction on the target, verified before
// it commits. Rows travel as each engine's own `row_to_json` text, so ids, states, reasons, times
// (to the microsecond), user data, attempts, claims and throttle counters arrive unchanged
// whatever the columns are; both stores are at this program's schema (open-store.ts migrated them).
import { createHash } from "node:crypto";
import type { Database, SqlClient } from "./database.ts";
import { SERVICE_TABLES, type ServiceTable } from "./schema-tables.ts";

/** Tables whose rows in the target make it "not empty": the services row is only the groups. */
const RECORD_TABLES = ["callbacks", "throttle_counters", "access_bookings"];

/**
 * Rows per statement. A record holds at most 64 KiB of properties, so a page stays a few MB, and
 * a store far larger than memory streams through.
 */
const PAGE_ROWS = 200;

export interface TableCopy {
  readonly table: string;
  readonly rows: number;
  /** SHA-256 of the rows' `row_to_json` texts in key order, one per line. */
  readonly sha256: string;
}

/** The target already holds records of the service and no `replace` was asked for. */
export class TargetNotEmptyError extends Error {
  override readonly name = "TargetNotEmptyError";
  readonly counts: Readonly<Record<string, number>>;

  constructor(counts: Readonly<Record<string, number>>) {
    super(
      Object.entries(counts)
        .map(([table, rows]) => `${String(rows)} ${table.replace("_", " ")}`)
        .join(", "),
    );
    this.counts = counts;
  }
}

/** The source holds nothing of the service: most likely a mistyped name, never "copied 0". */
export class UnknownServiceError extends Error {
  override readonly name = "UnknownServiceError";
  readonly known: readonly string[];

  constructor(known: readonly string[]) {
    super(known.length === 0 ? "none" : known.join(", "));
    this.known = known;
  }
}

/** What the target holds after the copy differs from what was read: nothing was committed. */
export class VerificationError extends Error {
  override readonly name = "VerificationError";
}

async function readRows(
  client: SqlClient,
  table: ServiceTable,
  serviceName: string,
  onPage: (rows: readonly string[]) => Promise<void>,
): Promise<TableCopy> {
  const cursor = `copy_${table.name}`;
  await client.query(
    `DECLARE ${cursor} NO SCROLL CURSOR FOR
       SELECT row_to_json(t)::text AS row FROM ${table.name} t
       WHERE ${table.serviceColumn} = $1 ORDER BY ${table.order}`,
    [serviceName],
  );
  const hash = createHash("sha256");
  let rows = 0;
  for (;;) {
    const page = (await client.query<{ row: string }>(`FETCH ${PAGE_ROWS} FROM ${cursor}`)).map(
      (r) => r.row,
    );
    if (page.length === 0) break;
    // JSON text holds no raw newline, so one per row keeps the rows apart in the hash.
    for (const row of page) hash.update(row).update("\n");
    rows += page.length;
    await onPage(page);
  }
  await client.query(`CLOSE ${cursor}`);
  return { table: table.name, rows, sha256: hash.digest("hex") };
}

async function recordCounts(
  client: SqlClient,
  serviceName: string,
): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of SERVICE_TABLES.filter((t) => RECORD_TABLES.includes(t.name))) {
    const [row] = await client.query<{ count: number }>(
      `SELECT count(*)::int AS count FROM ${table.name} WHERE ${table.serviceColumn} = $1`,
      [serviceName],
    );
    if ((row?.count ?? 0) > 0) counts[table.name] = row?.count ?? 0;
  }
  return counts;
}

async function checkServiceKnown(source: SqlClient, serviceName: string): Promise<void> {
  const [found] = await source.query<{ known: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM services WHERE name = $1)
         OR EXISTS (SELECT 1 FROM callbacks WHERE service_name = $1) AS known`,
    [serviceName],
  );
  if (found?.known === true) return;
  const services = await source.query<{ name: string }>(
    "SELECT name FROM services ORDER BY name LIMIT 20",
  );
  throw new UnknownServiceError(services.map((row) => row.name));
}

/**
 * Copies `serviceName`'s rows of every service table from `from` to `to`. The source is read in
 * one read-only snapshot; the target is written in one transaction that first refuses (or, with
 * `replace`, deletes) the service's records already there, then reads back what it wrote and
 * compares row counts and checksums with the source before committing.
 */
export async function copyService(
  from: Database,
  to: Database,
  serviceName: string,
  { replace }: { readonly replace: boolean },
): Promise<TableCopy[]> {
  return from.transaction(async (source) => {
    await source.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
    // row_to_json writes times with the session's offset: one zone, so both sides write one text.
    await source.query("SET LOCAL TimeZone = 'UTC'");
    await checkServiceKnown(source, serviceName);
    return to.transaction(async (target) => {
      await target.query("SET LOCAL TimeZone = 'UTC'");
      const existing = await recordCounts(target, serviceName);
      if (Object.keys(existing).length > 0 && !replace) throw new TargetNotEmptyError(existing);
      for (const table of SERVICE_TABLES) {
        await target.query(`DELETE FROM ${table.name} WHERE ${table.serviceColumn} = $1`, [
          serviceName,
        ]);
      }
      const copied: TableCopy[] = [];
      for (const table of SERVICE_TABLES) {
        copied.push(
          await readRows(source, table, serviceName, async (rows) => {
            await target.query(
              `INSERT INTO ${table.name} SELECT * FROM json_populate_recordset(NULL::${table.name}, $1::json)`,
              [`[${rows.join(",")}]`],
            );
          }),
        );
      }
      for (const [i, table] of SERVICE_TABLES.entries()) {
        const written = await readRows(target, table, serviceName, () => Promise.resolve());
        const read = copied[i];
        if (written.rows !== read?.rows || written.sha256 !== read.sha256) {
          throw new VerificationError(
            `${table.name}: read ${String(read?.rows)} rows (sha256 ${read?.sha256.slice(0, 12) ?? ""}), the target holds ${String(written.rows)} (sha256 ${written.sha256.slice(0, 12)})`,
          );
        }
      }
      return copied;
    }, "migration");
  }, "migration");
}
