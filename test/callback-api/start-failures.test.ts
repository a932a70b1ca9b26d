// Every way `callback-api` can fail to start ends the real process within seconds, non-zero, with
// one line on stderr naming the cause and the fix: the kubelet then restarts the container and the
// Deployment reports it, instead of a pod that logged "could not start" and kept running.
import { spawn } from "node:child_process";
import { mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { postgresDatabase } from "../../src/callback-api/database.ts";
import { migrate, migrations } from "../../src/callback-api/migrations.ts";
import { recordFigures } from "../support/figures.ts";
import { createPostgresDatabase } from "./support/databases.ts";
import { CLI, NODE, writeConfigDir } from "./support/server-process.ts";

/** The acceptance bound of issue 16: a failed start is over within 5 s of the process starting. */
const EXIT_WITHIN_MS = 5_000;

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

interface Exit {
  readonly code: number | null;
  readonly stderr: string;
  readonly ms: number;
}

/** Runs `callback-api` with `args`; SIGKILLs it and fails if it is still running at the bound. */
function runToExit(args: readonly string[]): Promise<Exit> {
  const started = performance.now();
  const child = spawn(NODE, [CLI, "callback-api", "--host", "127.0.0.1", ...args], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`still running after ${EXIT_WITHIN_MS} ms; stderr: ${stderr}`));
    }, EXIT_WITHIN_MS);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, ms: Math.round(performance.now() - started) });
    });
  });
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "cbapi-start-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function configDir(): Promise<string> {
  const dir = await writeConfigDir({});
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function freshDatabaseUrl(): Promise<string> {
  const database = await createPostgresDatabase();
  cleanups.push(database.drop);
  return database.url;
}

/** A port held by this test process, as another program would hold it. */
async function takenPort(): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      ),
  );
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

async function sql(url: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** Exit times by cause, recorded once every test of the file has passed. */
const times = new Map<string, number>();
const CAUSES = 13;

/** Asserts a prompt, non-zero exit with exactly one line holding every fragment. */
function expectOneLineFailure(
  cause: string,
  exit: Exit,
  exitCode: number,
  fragments: readonly string[],
): void {
  expect(exit.code).toBe(exitCode);
  const lines = exit.stderr.trimEnd().split("\n");
  expect(lines).toHaveLength(1);
  for (const fragment of fragments) expect(lines[0]).toContain(fragment);
  expect(exit.stderr).not.toMatch(/^\s+at /m);
  times.set(cause, exit.ms);
}

const service = ["--service-name", "startup", "--metrics-port", "0"];

describe("callback-api start-up failures", () => {
  afterAll(() => {
    // Only a run in which every cause passed its assertions writes figures (ADR 0042).
    if (times.size !== CAUSES) return;
    recordFigures({
      id: "start-failures",
      title: `Start-up failures, ${String(CAUSES)} causes: from spawn to exit`,
      test: "test/callback-api/start-failures.test.ts",
      figures: [...times].map(([label, ms]) => ({
        label,
        value: (ms / 1000).toFixed(1),
        unit: "s",
      })),
    });
  });

  it("exits when --port is taken", async () => {
    const port = await takenPort();
    const url = await freshDatabaseUrl();
    const dir = await configDir();
    const exit = await runToExit([
      ...service,
      "--config-dir",
      dir,
      "--database-url",
      url,
      "--port",
      String(port),
    ]);
    expectOneLineFailure("port taken", exit, 1, [
      `--port ${port} on 127.0.0.1 is already in use (EADDRINUSE)`,
      "choose another --port",
    ]);
  });

  it("exits when --metrics-port is taken", async () => {
    const port = await takenPort();
    const url = await freshDatabaseUrl();
    const dir = await configDir();
    const exit = await runToExit([
      "--service-name",
      "startup",
      "--config-dir",
      dir,
      "--database-url",
      url,
      "--port",
      "0",
      "--metrics-port",
      String(port),
    ]);
    expectOneLineFailure("metrics port taken", exit, 1, [
      `--metrics-port ${port} on 127.0.0.1 is already in use`,
      "choose another --metrics-port",
    ]);
  });

  it("exits when PostgreSQL is unreachable", async () => {
    const dir = await configDir();
    const exit = await runToExit([
      ...service,
      "--config-dir",
      dir,
      "--port",
      "0",
      "--database-url",
      "postgres://callbacks:secret@127.0.0.1:1/callbacks",
    ]);
    expectOneLineFailure("database unreachable", exit, 1, [
      "--database-url: nothing accepts connections at callbacks@127.0.0.1:1/callbacks (ECONNREFUSED)",
      "start PostgreSQL or fix the host and port",
    ]);
    expect(exit.stderr).not.toContain("secret");
  });

  it("exits when PostgreSQL refuses the credentials", async () => {
    const url = new URL(await freshDatabaseUrl());
    url.username = "no_such_role";
    url.password = "wrong";
    const dir = await configDir();
    const exit = await runToExit([
      ...service,
      "--config-dir",
      dir,
      "--port",
      "0",
      "--database-url",
      url.toString(),
    ]);
    expectOneLineFailure("credentials refused", exit, 1, [
      "--database-url: PostgreSQL refused the credentials of no_such_role@127.0.0.1:5432",
      "(28000",
      "fix the user and password of the URL",
    ]);
    expect(exit.stderr).not.toContain("wrong");
  });

  it("exits when the database does not exist", async () => {
    const url = new URL(await freshDatabaseUrl());
    url.pathname = "/cbapi_no_such_database";
    const dir = await configDir();
    const exit = await runToExit([
      ...service,
      "--config-dir",
      dir,
      "--port",
      "0",
      "--database-url",
      url.toString(),
    ]);
    expectOneLineFailure("database missing", exit, 1, [
      "/cbapi_no_such_database does not exist (3D000)",
      "create it, or fix the database name",
    ]);
  });

  it("exits 2 when --config-dir is missing or not a directory", async () => {
    const missing = await runToExit([
      ...service,
      "--config-dir",
      "/nonexistent-config",
      "--in-memory",
    ]);
    expectOneLineFailure("config dir missing", missing, 2, [
      "--config-dir /nonexistent-config is not a readable directory",
      "mount the service ConfigMap there",
    ]);
    const file = join(await tempDir(), "options");
    await writeFile(file, "not a directory\n");
    const notDir = await runToExit([...service, "--config-dir", file, "--in-memory"]);
    expectOneLineFailure("config dir a file", notDir, 2, [
      `--config-dir ${file} is not a readable directory`,
    ]);
  });

  it("exits 2 when an option file of --config-dir cannot be read", async () => {
    // Tests run as root, where no permission bit stops a read: a symlink loop fails for anyone.
    const dir = await configDir();
    await symlink(join(dir, "loop"), join(dir, "loop"));
    const exit = await runToExit([...service, "--config-dir", dir, "--in-memory"]);
    expectOneLineFailure("config dir unreadable", exit, 2, [
      `--config-dir ${dir} cannot be read`,
      "ELOOP",
      "make it and its files readable by the server's user",
    ]);
  });

  it("exits when the schema is newer than the program", async () => {
    const url = await freshDatabaseUrl();
    const db = postgresDatabase(url);
    await migrate(db);
    await db.query("INSERT INTO callback_api_migrations (version, name) VALUES (999, 'future')");
    await db.close();
    const dir = await configDir();
    const exit = await runToExit([
      ...service,
      "--config-dir",
      dir,
      "--port",
      "0",
      "--database-url",
      url,
    ]);
    expectOneLineFailure("schema newer", exit, 1, [
      `holds schema version 999, newer than this program's ${String(migrations.length)}`,
      "never an older one on this store",
    ]);
  });

  it("exits when the database is read-only", async () => {
    const url = await freshDatabaseUrl();
    const name = new URL(url).pathname.slice(1);
    await sql(url, `ALTER DATABASE "${name}" SET default_transaction_read_only = on`);
    const dir = await configDir();
    const exit = await runToExit([
      ...service,
      "--config-dir",
      dir,
      "--port",
      "0",
      "--database-url",
      url,
    ]);
    expectOneLineFailure("database read-only", exit, 1, [
      "is read-only (25006",
      "point it at the writable primary",
    ]);
  });

  it("exits when --data-dir is not a directory", async () => {
    const file = join(await tempDir(), "data");
    await writeFile(file, "");
    const dir = await configDir();
    const exit = await runToExit([
      ...service,
      "--config-dir",
      dir,
      "--port",
      "0",
      "--data-dir",
      file,
    ]);
    expectOneLineFailure("data dir a file", exit, 1, [
      `--data-dir ${file} is not a directory`,
      "point --data-dir at a directory",
    ]);
  });

  it("exits when --admin-password-file is missing or empty", async () => {
    const dir = await configDir();
    const admin = ["--admin-username", "root", "--admin-password-file"];
    const missing = await runToExit([
      ...service,
      "--config-dir",
      dir,
      "--in-memory",
      ...admin,
      "/nonexistent/password",
    ]);
    expectOneLineFailure("admin password missing", missing, 1, [
      "--admin-password-file /nonexistent/password does not exist",
      "mount the Secret holding it there",
    ]);
    const empty = join(await tempDir(), "password");
    await writeFile(empty, "\n");
    const blank = await runToExit([
      ...service,
      "--config-dir",
      dir,
      "--in-memory",
      ...admin,
      empty,
    ]);
    expectOneLineFailure("admin password empty", blank, 1, [
      `--admin-password-file ${empty} is empty`,
    ]);
  });
});
