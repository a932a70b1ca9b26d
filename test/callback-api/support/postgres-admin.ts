// PostgreSQL administration without vitest, shared by the test setup and the benchmarks: find the
// local server's admin URL, create a fresh database and drop it again.
import pg from "pg";

async function adminQuery(adminUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * The server on 127.0.0.1:5432 trusts local connections; its user is postgres or root depending on
 * the machine. Resolves to a URL of its `test` database, or throws naming both attempts.
 */
export async function findAdminUrl(): Promise<string> {
  const errors: string[] = [];
  for (const user of ["postgres", "root"]) {
    const url = `postgres://${user}@127.0.0.1:5432/test`;
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
    try {
      await client.connect();
      await client.end();
      return url;
    } catch (error) {
      errors.push(`${user}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  throw new Error(`PostgreSQL on 127.0.0.1:5432 is not reachable (${errors.join("; ")})`);
}

export interface CreatedDatabase {
  readonly url: string;
  readonly drop: () => Promise<void>;
}

/** Creates the empty database `name` (letters, digits, `_`) beside the admin URL's; `drop` removes it. */
export async function createDatabase(adminUrl: string, name: string): Promise<CreatedDatabase> {
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`Unsafe database name ${name}`);
  await adminQuery(adminUrl, `CREATE DATABASE "${name}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => adminQuery(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
}
