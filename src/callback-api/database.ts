// One SQL surface over the two engines: a `pg` Pool for PostgreSQL (shared by replicas) and PGlite
// (embedded, one process). The store speaks only this interface.
import pg from "pg";
import { PGlite } from "@electric-sql/pglite";
import { DEFAULT_POOL_SIZE } from "./cli-flags.ts";

export interface SqlClient {
  query<Row>(text: string, params?: readonly unknown[]): Promise<Row[]>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(script: string): Promise<void>;
}

export interface Database extends SqlClient {
  readonly kind: "postgres" | "pglite";
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (client: SqlClient) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export function postgresDatabase(
  connectionString: string,
  maxConnections = DEFAULT_POOL_SIZE,
): Database {
  const pool = new pg.Pool({
    connectionString,
    max: maxConnections,
    connectionTimeoutMillis: 5_000,
    // A statement that hangs (a lost lock, a dead network path) must fail, not hold a request forever.
    statement_timeout: 15_000,
    application_name: "callback-api",
  });
  // An idle client that loses its connection emits here; without a listener the process would crash.
  pool.on("error", () => undefined);
  return {
    kind: "postgres",
    async query<Row>(text: string, params?: readonly unknown[]) {
      const result = await pool.query(text, params as unknown[] | undefined);
      return result.rows as Row[];
    },
    async exec(script: string) {
      await pool.query(script);
    },
    async transaction<T>(fn: (client: SqlClient) => Promise<T>) {
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        const tx: SqlClient = {
          async query<Row>(text: string, params?: readonly unknown[]) {
            const result = await client.query(text, params as unknown[] | undefined);
            return result.rows as Row[];
          },
          async exec(script: string) {
            await client.query(script);
          },
        };
        const value = await fn(tx);
        await client.query("COMMIT");
        return value;
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    async close() {
      await pool.end();
    },
  };
}

/**
 * PGlite keeps its data directory on the real filesystem (NODEFS): every committed write reaches the
 * kernel before the query resolves, so a killed process loses nothing it acknowledged. Relaxed
 * durability stays off on purpose. `dataDir` undefined means in memory.
 */
export async function pgliteDatabase(dataDir: string | undefined): Promise<Database> {
  const db = new PGlite({
    ...(dataDir === undefined ? {} : { dataDir }),
    relaxedDurability: false,
  });
  await db.waitReady;
  return {
    kind: "pglite",
    async query<Row>(text: string, params?: readonly unknown[]) {
      const result = await db.query<Row>(text, params as unknown[] | undefined);
      return result.rows;
    },
    async exec(script: string) {
      await db.exec(script);
    },
    async transaction<T>(fn: (client: SqlClient) => Promise<T>) {
      return db.transaction(async (tx) =>
        fn({
          async query<Row>(text: string, params?: readonly unknown[]) {
            const result = await tx.query<Row>(text, params as unknown[] | undefined);
            return result.rows;
          },
          async exec(script: string) {
            await tx.exec(script);
          },
        }),
      );
    },
    async close() {
      await db.close();
    },
  };
}
