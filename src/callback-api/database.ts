// One SQL surface over the two engines: a `pg` Pool for PostgreSQL (shared by replicas) and PGlite
// (embedded, one process). The store speaks only this interface.
import pg from "pg";
import { PGlite } from "@electric-sql/pglite";

/**
 * A statement of the hot path, prepared once per PostgreSQL connection under its name: later runs
 * skip parsing and planning (about 0.05 ms of server CPU each) and send only the parameters. PGlite
 * runs in this process and has no named statements: it runs the text.
 */
export interface PreparedStatement {
  readonly name: string;
  readonly text: string;
}

export interface SqlClient {
  // A property, not a method: its parameters are then checked strictly, so a wrapper that takes only
  // text does not pass for a client.
  query: <Row>(
    statement: string | PreparedStatement,
    params?: readonly unknown[],
  ) => Promise<Row[]>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(script: string): Promise<void>;
}

/**
 * How long one statement may run, by class. Requests (starts, updates, queries, probes' reads) and
 * the dispatcher's claims are short: a statement that hangs on a lost lock or scans too much fails
 * instead of holding a pooled connection. Maintenance (the `_ttl` purge) and migrations may run long.
 */
export const STATEMENT_TIMEOUT_MS = {
  request: 5_000,
  maintenance: 60_000,
  migration: 600_000,
  ping: 2_000,
} as const;

export type StatementClass = "request" | "maintenance" | "migration";

export interface Database extends SqlClient {
  readonly kind: "postgres" | "pglite";
  /**
   * Heavy queries (property filters over many rows) allowed at once: the rest of the pool stays
   * free for starts, updates and the dispatcher.
   */
  readonly heavyQuerySlots: number;
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (client: SqlClient) => Promise<T>, statements?: StatementClass): Promise<T>;
  /** `SELECT 1` over a path of its own, so that a busy pool cannot fail readiness. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A database error without its statement's parameters: PGlite attaches them to its errors, and both
 * engines may quote values in a message or its detail (`invalid input syntax … "<value>"`). What
 * remains, the SQLSTATE and the message with quoted text cut out, is safe to log.
 */
export class DatabaseError extends Error {
  override readonly name = "DatabaseError";
  readonly code: string | undefined;

  constructor(message: string, code: string | undefined) {
    super(message);
    this.code = code;
  }

  /** A statement that ran out of time, or no free connection in time: the database is busy. */
  get busy(): boolean {
    return this.code === "57014" || this.code === "POOL_TIMEOUT";
  }
}

export function sanitizeDatabaseError(error: unknown): DatabaseError {
  if (error instanceof DatabaseError) return error;
  const raw = error instanceof Error ? error.message : String(error);
  const code =
    typeof error === "object" && error !== null && "code" in error && typeof error.code === "string"
      ? error.code
      : /timeout exceeded when trying to connect/i.test(raw)
        ? "POOL_TIMEOUT"
        : undefined;
  const message =
    raw
      .split("\n", 1)[0]
      ?.replace(/"[^"]*"?/g, '"…"')
      .slice(0, 200) ?? "";
  return new DatabaseError(message, code);
}

async function sanitized<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw sanitizeDatabaseError(error);
  }
}

function timeoutStatement(statements: StatementClass): string {
  return `SET LOCAL statement_timeout = ${STATEMENT_TIMEOUT_MS[statements]}`;
}

/** A `pg` query config: a prepared statement by its name, plain text without one. */
function pgQuery(
  statement: string | PreparedStatement,
  values: unknown[] | undefined,
): pg.QueryConfig {
  return typeof statement === "string"
    ? { text: statement, ...(values === undefined ? {} : { values }) }
    : { name: statement.name, text: statement.text, ...(values === undefined ? {} : { values }) };
}

/** Connections one replica holds open to PostgreSQL unless --database-pool-size says otherwise. */
export const DEFAULT_POOL_SIZE = 10;

export function postgresDatabase(
  connectionString: string,
  maxConnections = DEFAULT_POOL_SIZE,
): Database {
  const pool = new pg.Pool({
    connectionString,
    max: maxConnections,
    connectionTimeoutMillis: 5_000,
    statement_timeout: STATEMENT_TIMEOUT_MS.request,
    application_name: "callback-api",
  });
  // Readiness has a connection of its own: a pool held by slow queries must not fail the probe.
  const probe = new pg.Pool({
    connectionString,
    max: 1,
    connectionTimeoutMillis: STATEMENT_TIMEOUT_MS.ping,
    statement_timeout: STATEMENT_TIMEOUT_MS.ping,
    application_name: "callback-api-probe",
  });
  // An idle client that loses its connection emits here; without a listener the process would crash.
  pool.on("error", () => undefined);
  probe.on("error", () => undefined);
  return {
    kind: "postgres",
    heavyQuerySlots: Math.max(1, Math.floor(maxConnections / 2)),
    async query<Row>(statement: string | PreparedStatement, params?: readonly unknown[]) {
      const result = await sanitized(() =>
        pool.query(pgQuery(statement, params as unknown[] | undefined)),
      );
      return result.rows as Row[];
    },
    async exec(script: string) {
      await sanitized(() => pool.query(script));
    },
    async transaction<T>(fn: (client: SqlClient) => Promise<T>, statements?: StatementClass) {
      const client = await sanitized(() => pool.connect());
      try {
        await sanitized(() => client.query("BEGIN"));
        if (statements !== undefined && statements !== "request")
          await sanitized(() => client.query(timeoutStatement(statements)));
        const tx: SqlClient = {
          async query<Row>(statement: string | PreparedStatement, params?: readonly unknown[]) {
            const result = await sanitized(() =>
              client.query(pgQuery(statement, params as unknown[] | undefined)),
            );
            return result.rows as Row[];
          },
          async exec(script: string) {
            await sanitized(() => client.query(script));
          },
        };
        const value = await fn(tx);
        await sanitized(() => client.query("COMMIT"));
        return value;
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    async ping() {
      await sanitized(() => probe.query("SELECT 1"));
    },
    async close() {
      await Promise.all([pool.end(), probe.end()]);
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
  const client = (run: Pick<PGlite, "query" | "exec">): SqlClient => ({
    async query<Row>(statement: string | PreparedStatement, params?: readonly unknown[]) {
      const text = typeof statement === "string" ? statement : statement.text;
      const result = await sanitized(() => run.query<Row>(text, params as unknown[] | undefined));
      return result.rows;
    },
    async exec(script: string) {
      await sanitized(() => run.exec(script));
    },
  });
  const direct = client(db);
  return {
    kind: "pglite",
    // One connection, statements run one after another: one heavy query at a time.
    heavyQuerySlots: 1,
    query: (statement, params) => direct.query(statement, params),
    exec: (script) => direct.exec(script),
    async transaction<T>(fn: (client: SqlClient) => Promise<T>, statements?: StatementClass) {
      return db.transaction(async (tx) => {
        if (statements !== undefined && statements !== "request")
          await sanitized(() => tx.query(timeoutStatement(statements)));
        return fn(client(tx));
      });
    },
    async ping() {
      await direct.query("SELECT 1");
    },
    async close() {
      await db.close();
    },
  };
}
