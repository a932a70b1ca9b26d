// Every run gets its own PostgreSQL databases (cbapi_<run>_<n>), created by the tests that need
// them, and this teardown drops whatever a run left behind. The server on 127.0.0.1:5432 trusts
// local connections; its user is postgres or root depending on the machine.
import { randomBytes } from "node:crypto";
import pg from "pg";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    pgAdminUrl: string;
    pgRunId: string;
  }
}

async function findAdminUrl(): Promise<string> {
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

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const adminUrl = await findAdminUrl();
  const runId = randomBytes(4).toString("hex");
  project.provide("pgAdminUrl", adminUrl);
  project.provide("pgRunId", runId);
  return async () => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ datname: string }>(
        "SELECT datname FROM pg_database WHERE datname LIKE $1",
        [`cbapi_${runId}_%`],
      );
      for (const { datname } of rows) {
        await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
      }
    } finally {
      await client.end();
    }
  };
}
