// A server killed with SIGKILL right after answering keeps every callback it acknowledged, on
// PostgreSQL and on PGlite on disk.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createPostgresDatabase } from "./support/databases.ts";
import { PERMISSIVE } from "./support/app.ts";
import { startServer, stopServer, writeConfigDir } from "./support/server-process.ts";

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

const SENT = 40;
const KILL_AFTER = 20;

describe.each(["pglite", "postgres"] as const)("SIGKILL on %s", (engine) => {
  it("loses no acknowledged callback", { timeout: 120_000 }, async () => {
    const configDir = await writeConfigDir(PERMISSIVE);
    cleanups.push(() => rm(configDir, { recursive: true, force: true }));
    let storage: string[];
    if (engine === "pglite") {
      const dataDir = await mkdtemp(join(tmpdir(), "cbapi-pglite-"));
      cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
      storage = ["--data-dir", dataDir];
    } else {
      const database = await createPostgresDatabase();
      cleanups.push(database.drop);
      storage = ["--database-url", database.url];
    }
    const args = ["--service-name", "durable", "--config-dir", configDir, ...storage];
    const first = await startServer(args);

    // Many requests in flight; the process dies as soon as KILL_AFTER of them were answered.
    const acknowledged: string[] = [];
    let killed = false;
    const requests = Array.from({ length: SENT }, async (_, i) => {
      try {
        const res = await fetch(`${first.base}/genesys/1/service/callback/durable`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ _customer_number: `5600${i}`, seq: String(i) }),
        });
        if (res.status !== 200) return;
        const { _id } = (await res.json()) as { _id: string };
        if (killed) return;
        acknowledged.push(_id);
        if (acknowledged.length === KILL_AFTER) {
          killed = true;
          first.child.kill("SIGKILL");
        }
      } catch {
        // Cut off by the kill: never acknowledged.
      }
    });
    await Promise.all(requests);
    await stopServer(first, "SIGKILL");
    expect(acknowledged.length).toBeGreaterThanOrEqual(KILL_AFTER);

    const second = await startServer(args);
    cleanups.push(() => stopServer(second));
    const missing: string[] = [];
    for (const id of acknowledged) {
      const res = await fetch(`${second.base}/genesys/1/service/callback?_id=${id}`);
      const rows = (await res.json()) as { _id: string }[];
      if (rows.length !== 1) missing.push(id);
    }
    expect(missing).toEqual([]);
  });
});
