// Issue 12, item 7: what the server believes about where a request came from, whom it lets in, and
// where it shows its metrics. X-Forwarded-* only from trusted proxies, record URLs from the
// configured external URL, half-configured credentials refused (at start, at reload, and in the app
// should one slip through), /metrics on a port of its own.
import { rm, writeFile } from "node:fs/promises";
import { spawnSync } from "node:child_process";
import { connect, type AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { buildApp } from "../../src/callback-api/app.ts";
import { ManualClock } from "../../src/runtime/clock.ts";
import { parseFlags } from "../../src/callback-api/cli-flags.ts";
import { resolveOptions } from "../../src/callback-api/options.ts";
import { BACKENDS, openStore, type TestStore } from "./support/databases.ts";
import { GMS, PERMISSIVE, START, adminAuth, basic, makeApp, uniqueService } from "./support/app.ts";
import { CLI, NODE, startServer, stopServer, writeConfigDir } from "./support/server-process.ts";

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

const FORWARDED = {
  "x-forwarded-host": "evil.example",
  "x-forwarded-proto": "https",
  "x-forwarded-for": "203.0.113.9",
  host: "api.internal:8080",
};

describe.each(BACKENDS)("request origin and credentials on %s", (backend) => {
  let t: TestStore;
  beforeAll(async () => {
    t = await openStore(backend);
  });
  afterAll(async () => {
    await t.close();
  });

  async function urlOf(deps: { trustedProxies?: string[]; externalUrl?: string }) {
    const serviceName = uniqueService();
    const options = resolveOptions(serviceName, PERMISSIVE);
    await t.store.registerService({ name: serviceName, serviceGroups: [] }, Date.parse(START));
    const app = await buildApp({
      store: t.store,
      serviceName,
      options: () => options,
      clock: new ManualClock(START),
      ...deps,
    });
    const base = `/genesys/1/service/callback/${serviceName}`;
    const id = (
      await app.inject({ method: "POST", url: base, payload: { _customer_number: "5115" } })
    ).json<{ _id: string }>()._id;
    const [record] = (await app.inject({ url: base, headers: FORWARDED })).json<
      Record<string, string>[]
    >();
    await app.close();
    return { url: record?.["_url"], path: `${base}/${id}` };
  }

  it("ignores X-Forwarded-* from anyone by default: the URL is the Host the request reached", async () => {
    const { url, path } = await urlOf({});
    expect(url).toBe(`http://api.internal:8080${path}`);
  });

  it("believes X-Forwarded-Host and -Proto from a trusted proxy", async () => {
    // inject() requests come from 127.0.0.1.
    const { url, path } = await urlOf({ trustedProxies: ["127.0.0.0/8"] });
    expect(url).toBe(`https://evil.example${path}`);
    const untrusted = await urlOf({ trustedProxies: ["10.0.0.0/8"] });
    expect(untrusted.url).toBe(`http://api.internal:8080${untrusted.path}`);
  });

  it("builds record URLs from --external-url, whatever the request says", async () => {
    const { url, path } = await urlOf({ externalUrl: "https://callbacks.example.com" });
    expect(url).toBe(`https://callbacks.example.com${path}`);
  });

  it("names a plain host in record URLs: none (HTTP/1.0) or a malformed Host becomes localhost", async () => {
    const a = await makeApp(t.store, PERMISSIVE);
    await a.app.inject({ method: "POST", url: a.base, payload: { _customer_number: "5115" } });
    await a.app.listen({ host: "127.0.0.1", port: 0 });
    const { port } = a.app.server.address() as AddressInfo;
    const raw = (request: string) =>
      new Promise<string>((resolve) => {
        let data = "";
        const socket = connect(port, "127.0.0.1", () => socket.write(request));
        socket.on("data", (chunk: Buffer) => (data += chunk.toString("utf8")));
        socket.on("close", () => {
          resolve(data);
        });
      });
    try {
      const none = await raw(`GET ${a.base} HTTP/1.0\r\n\r\n`);
      expect(none).toMatch(/^HTTP\/1\.1 200/);
      expect(none).toContain(`"_url":"http://localhost${a.base}/`);
      const odd = await raw(
        `GET ${a.base} HTTP/1.1\r\nHost: evil.example/x?y=\r\nConnection: close\r\n\r\n`,
      );
      expect(odd).toContain(`"_url":"http://localhost${a.base}/`);
    } finally {
      await a.app.close();
    }
  });

  it("keeps a service with half its credentials closed, never open", async () => {
    for (const raw of [
      { ...PERMISSIVE, username: "gms" },
      { ...PERMISSIVE, username: "gms", password: "" },
      { ...PERMISSIVE, username: "gms", password: "  " },
      { ...PERMISSIVE, password: "s3cret" },
    ]) {
      const a = await makeApp(t.store, raw);
      for (const headers of [
        {},
        { authorization: basic("gms", "") },
        { authorization: basic("", "s3cret") },
      ]) {
        const res = await a.app.inject({ url: a.base, headers });
        expect(res.statusCode, JSON.stringify(raw)).toBe(401);
        expect(res.json()).toMatchObject({ exception: `${GMS}.CallbackExceptionUnauthorized` });
      }
      expect((await a.app.inject({ url: a.base, headers: adminAuth })).statusCode).toBe(200);
    }
  });
});

describe("flags for proxies, the external URL and the metrics port", () => {
  const base = ["--service-name", "svc", "--config-dir", "/cfg", "--in-memory"];
  const error = (argv: string[]) => {
    const parsed = parseFlags([...base, ...argv], {});
    return parsed.kind === "error" ? parsed.message : parsed.kind;
  };

  it("reads them, with environment twins", () => {
    expect(
      parseFlags(
        [...base, "--trusted-proxies", "10.0.0.0/8, 192.168.1.10,::1", "--metrics-port", "0"],
        { CALLBACK_API_EXTERNAL_URL: "https://cb.example.com" },
      ),
    ).toMatchObject({
      config: {
        trustedProxies: ["10.0.0.0/8", "192.168.1.10", "::1"],
        metricsPort: 0,
        externalUrl: "https://cb.example.com",
      },
    });
  });

  it("refuses bad values with one line naming the flag", () => {
    expect(error(["--trusted-proxies", "10.0.0.0/33"])).toContain("--trusted-proxies");
    expect(error(["--trusted-proxies", "proxy.example"])).toContain("--trusted-proxies");
    expect(error(["--external-url", "ftp://x"])).toContain("--external-url");
    expect(error(["--external-url", "https://x/path"])).toContain("--external-url");
    expect(error(["--metrics-port", "8080"])).toContain("--metrics-port 8080 is the API's --port");
    expect(error(["--metrics-port", "70000"])).toContain("--metrics-port");
  });
});

describe("the real process", () => {
  it("refuses to start with a username and no password (or a password and no username)", async () => {
    for (const options of [
      { username: "gms" },
      { username: "gms", password: "" },
      { password: "s3cret" },
    ]) {
      const dir = await writeConfigDir({ ...PERMISSIVE, ...options });
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      const run = spawnSync(
        NODE,
        [CLI, "callback-api", "--service-name", "half", "--config-dir", dir, "--in-memory"],
        { encoding: "utf8", timeout: 30_000 },
      );
      expect(run.status, run.stderr).toBe(2);
      const lines = run.stderr.trim().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^callback-api: service half: option (username|password)/);
      expect(lines[0]).toContain("option password");
    }
  });

  it(
    "keeps its credentials when a reload would half-remove them, and serves /metrics on its own port only",
    { timeout: 60_000 },
    async () => {
      const dir = await writeConfigDir({ ...PERMISSIVE, username: "gms", password: "s3cret" });
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      const server = await startServer([
        "--service-name",
        "live",
        "--config-dir",
        dir,
        "--in-memory",
      ]);
      cleanups.push(() => stopServer(server));
      const url = `${server.base}/genesys/1/service/callback/live`;
      const asService = { authorization: basic("gms", "s3cret") };
      expect((await fetch(url, { headers: asService })).status).toBe(200);
      await writeFile(join(dir, "password"), "\n");
      await vi.waitFor(
        () => {
          expect(server.output()).toContain("Reloaded options refused; keeping the last options");
        },
        { timeout: 20_000, interval: 100 },
      );
      expect((await fetch(url)).status).toBe(401);
      expect((await fetch(url, { headers: { authorization: basic("gms", "") } })).status).toBe(401);
      expect((await fetch(url, { headers: asService })).status).toBe(200);

      expect((await fetch(`${server.base}/metrics`)).status).toBe(404);
      const metrics = await fetch(`${server.metricsBase}/metrics`);
      expect(metrics.status).toBe(200);
      expect(await metrics.text()).toContain("callback_api_http_requests_total");
      expect((await fetch(`${server.metricsBase}/genesys/1/service/callback/live`)).status).toBe(
        404,
      );
      await stopServer(server);
      expect(server.child.exitCode).toBe(0);
    },
  );
});
