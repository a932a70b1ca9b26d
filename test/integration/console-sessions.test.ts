// Console sessions against the real command (issue 18, ADR 0131): sign-in answers, idle and
// absolute expiry, sign-out revoking a copied cookie, a tampered cookie, and the console started
// with no sign-in configured.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kubeconfigPath, installCrds } from "../support/cluster.ts";
import {
  ConsoleClient,
  consoleFiles,
  startConsole,
  type ConsoleProcess,
} from "../support/console.ts";

const users = { sam: "sam-pw", kim: "kim-pw" };
const started: ConsoleProcess[] = [];

async function consoleWith(args: readonly string[]): Promise<ConsoleProcess> {
  const files = await consoleFiles(users);
  const server = await startConsole([
    "--kubeconfig",
    kubeconfigPath(),
    "--local-users-dir",
    files.usersDir,
    "--session-key-file",
    files.sessionKeyFile,
    ...args,
  ]);
  started.push(server);
  return server;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(() => {
  installCrds();
});

afterAll(async () => {
  for (const server of started) await server.stop();
});

describe("sign-in", () => {
  it("answers a wrong password and an unknown user alike, and logs no password", async () => {
    const server = await consoleWith([]);
    const client = new ConsoleClient(server.base);
    const wrong = await client.signIn("sam", "not-sams-password");
    const unknown = await client.signIn("mallory", "not-sams-password");
    expect([wrong.status, unknown.status]).toEqual([401, 401]);
    expect(await wrong.json()).toEqual(await unknown.json());
    expect(server.output()).toContain('"msg":"Sign-in failed"');
    expect(server.output()).not.toContain("not-sams-password");
    const right = await client.signIn("sam", users.sam);
    expect(right.status).toBe(200);
    expect(await right.json()).toMatchObject({
      username: "sam",
      groups: [],
      via: "local",
      signIn: { local: true, oidc: false },
    });
    const cookie = right.headers.getSetCookie().find((line) => line.startsWith("cbo_session="));
    expect(cookie).toMatch(/; HttpOnly; SameSite=Lax;/);
    expect(cookie).not.toContain("Secure");
  });
});

describe("sign-in limits", () => {
  it("hold a user name back after 10 failures, even with its right password; others still sign in", async () => {
    const server = await consoleWith([]);
    const client = new ConsoleClient(server.base);
    const statuses: number[] = [];
    for (let i = 0; i < 10; i += 1)
      statuses.push((await client.signIn("sam", `guess-${i}`)).status);
    expect(statuses).toEqual(Array.from({ length: 10 }, () => 401));
    const held = await client.signIn("sam", users.sam);
    expect(held.status).toBe(429);
    expect(Number(held.headers.get("retry-after"))).toBeGreaterThan(200);
    expect(await held.json()).toMatchObject({ error: "too_many_attempts" });
    // Another user name is not held by sam's failures.
    expect((await new ConsoleClient(server.base).signIn("kim", users.kim)).status).toBe(200);
    expect(server.output()).toContain('"msg":"Sign-in held back"');
    expect(server.output()).not.toContain("guess-");
  });
});

describe("sessions", () => {
  it("end after the idle time", async () => {
    const server = await consoleWith(["--session-idle", "1s", "--session-ttl", "1h"]);
    const client = new ConsoleClient(server.base);
    expect((await client.signIn("sam", users.sam)).status).toBe(200);
    expect((await client.fetch("/api/session")).status).toBe(200);
    await sleep(1_300);
    const after = await client.fetch("/api/session");
    expect(after.status).toBe(401);
    expect(await after.json()).toMatchObject({ error: "unauthenticated" });
  });

  it("end after the idle time although the page's timer keeps asking", async () => {
    const server = await consoleWith(["--session-idle", "2s", "--session-ttl", "1h"]);
    const client = new ConsoleClient(server.base);
    expect((await client.signIn("sam", users.sam)).status).toBe(200);
    const background = { headers: { "x-console-refresh": "background" } };
    const signedInAt = Date.now();
    const statuses: number[] = [];
    while (Date.now() - signedInAt < 3_000) {
      const answer = await client.fetch("/api/services", background);
      // A background answer renews nothing: no fresh cookie.
      expect(answer.headers.getSetCookie()).toEqual([]);
      statuses.push(answer.status);
      await sleep(250);
    }
    expect(statuses[0]).toBe(200);
    expect(statuses.at(-1)).toBe(401);
    // What a person does still renews it: a new session, used by hand every 250 ms, outlives 2 s.
    expect((await client.signIn("sam", users.sam)).status).toBe(200);
    const again = Date.now();
    while (Date.now() - again < 3_000) {
      expect((await client.fetch("/api/services")).status).toBe(200);
      await sleep(250);
    }
  });

  it("end after the absolute time even while in use", async () => {
    const server = await consoleWith(["--session-idle", "30m", "--session-ttl", "2s"]);
    const client = new ConsoleClient(server.base);
    expect((await client.signIn("sam", users.sam)).status).toBe(200);
    const signedInAt = Date.now();
    const statuses: number[] = [];
    while (Date.now() - signedInAt < 3_000) {
      statuses.push((await client.fetch("/api/session")).status);
      await sleep(250);
    }
    expect(statuses[0]).toBe(200);
    expect(statuses.at(-1)).toBe(401);
  });

  it("are refused after sign-out, even from a copied cookie", async () => {
    const server = await consoleWith([]);
    const client = new ConsoleClient(server.base);
    expect((await client.signIn("sam", users.sam)).status).toBe(200);
    const copied = client.cookieHeader();
    const logout = await client.post("/auth/logout", {});
    expect(logout.status).toBe(204);
    expect(logout.headers.getSetCookie().filter((line) => line.startsWith("cbo_session="))).toEqual(
      ["cbo_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"],
    );
    const replayed = await fetch(`${server.base}/api/session`, { headers: { cookie: copied } });
    expect(replayed.status).toBe(401);
  });

  it("refuse a tampered cookie", async () => {
    const server = await consoleWith([]);
    const client = new ConsoleClient(server.base);
    expect((await client.signIn("sam", users.sam)).status).toBe(200);
    const value = client.cookies.get("cbo_session") ?? "";
    const [body = "", signature = ""] = value.split(".");
    const payload = JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as Record<
      string,
      unknown
    >;
    const forged = Buffer.from(JSON.stringify({ ...payload, u: "alice" })).toString("base64url");
    for (const cookie of [`${forged}.${signature}`, `${body}.${signature.slice(0, -2)}AA`, body]) {
      const response = await fetch(`${server.base}/api/session`, {
        headers: { cookie: `cbo_session=${cookie}` },
      });
      expect(response.status).toBe(401);
    }
    const genuine = await fetch(`${server.base}/api/session`, {
      headers: { cookie: `cbo_session=${value}` },
    });
    expect(genuine.status).toBe(200);
  });
});

it("started with no sign-in configured, serves its sign-in page and logs how to add a user", async () => {
  const server = await startConsole(["--kubeconfig", kubeconfigPath()]);
  started.push(server);
  const page = await fetch(`${server.base}/`);
  expect(page.status).toBe(200);
  expect(page.headers.get("content-type")).toContain("text/html");
  expect(await page.text()).toContain('id="sign-in"');
  expect(page.headers.get("content-security-policy")).toContain("default-src 'self'");
  expect((await fetch(`${server.base}/assets/index.html`)).status).toBe(200);
  // Only files of src/console/web: no way out of it, no dot files, no other types.
  for (const path of [
    "/assets/..%2Fapp.ts",
    "/assets/%2e%2e/app.ts",
    "/assets/.env",
    "/assets/x.sh",
  ])
    expect([path, (await fetch(`${server.base}${path}`)).status]).toEqual([path, 404]);
  expect(await (await fetch(`${server.base}/api/sign-in-methods`)).json()).toEqual({
    local: false,
    oidc: false,
  });
  const hints = server
    .output()
    .split("\n")
    .filter((line) => line.includes("hash-password") && line.includes("--local-users-dir"));
  expect(hints).toHaveLength(1);
});
