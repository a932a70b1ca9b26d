// Every run gets its own PostgreSQL databases (cbapi_<run>_<n>), created by the tests that need
// them, and this teardown drops whatever a run left behind.
import { randomBytes } from "node:crypto";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { findAdminUrl } from "./support/postgres-admin.ts";

declare module "vitest" {
  export interface ProvidedContext {
    pgAdminUrl: string;
    pgRunId: string;
  }
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
