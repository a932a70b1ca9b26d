// Flags and environment of `callback-operator callback-api`, and the real process: bad flags exit
// 2 with one line; option files are re-read while it runs.
import { spawnSync } from "node:child_process";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { parseFlags } from "../../src/callback-api/cli-flags.ts";
import { CLI, NODE, startServer, stopServer, writeConfigDir } from "./support/server-process.ts";
import { PERMISSIVE, basic } from "./support/app.ts";

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe("parseFlags", () => {
  const base = ["--service-name", "svc", "--config-dir", "/cfg"];

  it("reads flags, with environment twins and defaults", () => {
    expect(parseFlags([...base, "--in-memory"], {})).toEqual({
      kind: "config",
      config: {
        serviceName: "svc",
        configDir: "/cfg",
        servicesDir: "/cfg/services",
        port: 8080,
        host: "0.0.0.0",
        logLevel: "info",
        storage: { kind: "memory" },
        admin: undefined,
        timeouts: {
          requestMs: 30_000,
          headersMs: 10_000,
          connectionMs: 30_000,
          keepAliveMs: 65_000,
        },
        metricsPort: 9464,
        trustedProxies: [],
        externalUrl: undefined,
      },
    });
    expect(
      parseFlags(
        [
          ...base,
          "--in-memory",
          "--request-timeout",
          "2.5s",
          "--headers-timeout=1s",
          "--keep-alive-timeout",
          "5s",
        ],
        { CALLBACK_API_CONNECTION_TIMEOUT: "4s" },
      ),
    ).toMatchObject({
      config: {
        timeouts: { requestMs: 2_500, headersMs: 1_000, connectionMs: 4_000, keepAliveMs: 5_000 },
      },
    });
    const fromEnv = parseFlags([], {
      CALLBACK_API_SERVICE_NAME: "env-svc",
      CALLBACK_API_CONFIG_DIR: "/env",
      CALLBACK_API_PORT: "9000",
      CALLBACK_API_HOST: "127.0.0.1",
      CALLBACK_API_DATABASE_URL: "postgres://db/x",
      CALLBACK_API_ADMIN_USERNAME: "admin",
      CALLBACK_API_ADMIN_PASSWORD_FILE: "/secret/password",
    });
    expect(fromEnv).toMatchObject({
      kind: "config",
      config: {
        serviceName: "env-svc",
        port: 9000,
        host: "127.0.0.1",
        storage: { kind: "postgres", url: "postgres://db/x" },
        admin: { username: "admin", passwordFile: "/secret/password" },
      },
    });
    expect(
      parseFlags([...base, "--data-dir=/data", "--port=0"], { CALLBACK_API_DATA_DIR: "/ignored" }),
    ).toMatchObject({ config: { storage: { kind: "pglite", dataDir: "/data" }, port: 0 } });
    expect(parseFlags([...base, "--database-url", "postgres://db/x"], {})).toMatchObject({
      config: { storage: { kind: "postgres", url: "postgres://db/x", poolSize: 10 } },
    });
    expect(
      parseFlags([...base, "--database-url", "postgres://db/x"], {
        CALLBACK_API_DATABASE_POOL_SIZE: "32",
      }),
    ).toMatchObject({ config: { storage: { kind: "postgres", poolSize: 32 } } });
    expect(parseFlags(["--help"], {})).toEqual({ kind: "help" });
    // The operator mounts each linked service's ConfigMap as a volume of its own, outside the
    // read-only config mount (gms-reference-2.md §2.3, §3: _business_hours_service, _capacity_service).
    expect(
      parseFlags([...base, "--in-memory", "--services-dir", "/etc/services"], {}),
    ).toMatchObject({ config: { configDir: "/cfg", servicesDir: "/etc/services" } });
    expect(
      parseFlags([...base, "--in-memory"], { CALLBACK_API_SERVICES_DIR: "/env/services" }),
    ).toMatchObject({ config: { servicesDir: "/env/services" } });
  });

  it.each([
    [["--config-dir", "/c", "--in-memory"], "--service-name is required"],
    [["--service-name", "bad name", "--config-dir", "/c", "--in-memory"], "--service-name"],
    [["--service-name", "s", "--in-memory"], "--config-dir is required"],
    [[...base], "no storage chosen"],
    [[...base, "--in-memory", "--data-dir", "/d"], "exclude each other"],
    [[...base, "--database-url", "mysql://x"], "--database-url must start with postgres://"],
    [[...base, "--in-memory", "--port", "70000"], "--port"],
    [
      [...base, "--in-memory", "--admin-username", "a"],
      "--admin-username and --admin-password-file go together",
    ],
    [[...base, "--in-memory", "--bogus"], 'unknown flag "--bogus"'],
    [[...base, "--in-memory", "--services-dir="], "--services-dir is empty"],
    [[...base, "--in-memory", "--port"], "--port needs a value"],
    [[...base, "--in-memory", "--log-level", "loud"], "--log-level"],
    [[...base, "--in-memory", "--database-pool-size", "5"], "applies to --database-url only"],
    [[...base, "--database-url", "postgres://d/x", "--database-pool-size", "0"], "1 to 1000"],
    [[...base, "--in-memory", "--request-timeout", "0s"], "--request-timeout"],
    [[...base, "--in-memory", "--keep-alive-timeout", "2h"], "from 100ms to 1h"],
    [[...base, "--in-memory", "--headers-timeout", "40s"], "exceeds --request-timeout"],
    // Durations are Go's: a bare number (seconds before issue 14) is refused with the fix.
    [[...base, "--in-memory", "--request-timeout", "30"], "write 30s for seconds"],
    [[...base, "--in-memory", "--headers-timeout=soon"], "such as 250ms, 30s, 2m or 1h30m"],
  ])("refuses %j", (argv, message) => {
    const result = parseFlags(argv, {});
    expect(result.kind).toBe("error");
    expect(result.kind === "error" ? result.message : "").toContain(message);
  });
});

describe("the callback-api process", () => {
  it("exits 2 with one line naming the flag, without a stack trace", async () => {
    const run = spawnSync(
      NODE,
      [
        CLI,
        "callback-api",
        "--service-name",
        "svc",
        "--config-dir",
        "/nonexistent-dir",
        "--in-memory",
      ],
      { encoding: "utf8" },
    );
    expect(run.status).toBe(2);
    expect(run.stderr.trim().split("\n")).toEqual([
      expect.stringContaining(
        "--config-dir /nonexistent-dir is not a readable directory",
      ) as unknown,
    ]);
    const bad = spawnSync(NODE, [CLI, "callback-api", "--port", "x"], { encoding: "utf8" });
    expect(bad.status).toBe(2);
    expect(bad.stderr).not.toContain("    at ");
    const emptyConfig = await writeConfigDir({});
    cleanups.push(() => rm(emptyConfig, { recursive: true, force: true }));
    const unreachable = spawnSync(
      NODE,
      [
        CLI,
        "callback-api",
        "--service-name",
        "svc",
        "--config-dir",
        emptyConfig,
        "--database-url",
        "postgres://nobody@127.0.0.1:1/none",
      ],
      { encoding: "utf8", timeout: 30_000 },
    );
    expect(unreachable.status).toBe(1);
    expect(unreachable.stderr.trim().split("\n")).toHaveLength(1);
    expect(unreachable.stderr).toContain("callback-api: could not start:");
  });

  it("prints every flag and its environment variable with --help", () => {
    const run = spawnSync(NODE, [CLI, "callback-api", "--help"], { encoding: "utf8" });
    expect(run.status).toBe(0);
    for (const flag of [
      "--service-name",
      "--config-dir",
      "--port",
      "--host",
      "--database-url",
      "--database-pool-size",
      "--data-dir",
      "--in-memory",
      "--admin-username",
      "--admin-password-file",
      "--request-timeout",
      "--headers-timeout",
      "--connection-timeout",
      "--keep-alive-timeout",
    ]) {
      expect(run.stdout).toContain(flag);
    }
    expect(run.stdout).toContain("CALLBACK_API_ADMIN_PASSWORD_FILE");
  });

  it(
    "re-reads option files while running: a projected password starts to be required",
    { timeout: 60_000 },
    async () => {
      const dir = await writeConfigDir(PERMISSIVE);
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      // A dot file: the config directory ignores it, as it ignores Kubernetes' bookkeeping.
      const adminFile = join(dir, ".admin-password");
      await writeFile(adminFile, "adm1n\n");
      const server = await startServer([
        "--service-name",
        "live",
        "--config-dir",
        dir,
        "--in-memory",
        "--admin-username",
        "root",
        "--admin-password-file",
        adminFile,
      ]);
      cleanups.push(() => stopServer(server));
      const url = `${server.base}/genesys/1/service/callback/live`;
      expect((await fetch(url)).status).toBe(200);
      await writeFile(join(dir, "username"), "gms\n");
      await writeFile(join(dir, "password"), "s3cret\n");
      await vi.waitFor(
        async () => {
          expect((await fetch(url)).status).toBe(401);
        },
        { timeout: 20_000, interval: 100 },
      );
      expect(
        (await fetch(url, { headers: { authorization: basic("gms", "s3cret") } })).status,
      ).toBe(200);
      const queues = `${server.base}/genesys/1/admin/callback/queues`;
      const asAdmin = { authorization: basic("root", "adm1n") };
      expect((await fetch(queues, { headers: asAdmin })).status).toBe(200);
      const asService = { authorization: basic("gms", "s3cret") };
      expect((await fetch(queues, { headers: asService })).status).toBe(401);
      await stopServer(server);
      expect(server.child.exitCode).toBe(0);
      expect(server.output()).toContain('"msg":"Stopped"');
    },
  );
});
