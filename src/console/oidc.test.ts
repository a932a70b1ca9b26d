// The sign-in routes against a real OpenID provider (oidc-provider on loopback), with the
// console's own sessions: the console is driven with inject(), openid-client talks to the provider
// over HTTP. With the whole server and ConsolePermissions: test/integration/console-oidc.test.ts.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { systemClock } from "../runtime/clock.ts";
import {
  signInAtProvider,
  startTestProvider,
  type TestProvider,
} from "../../test/support/oidc-provider.ts";
import type { OidcConfig } from "./oidc-flags.ts";
import { registerOidcRoutes, type OidcStatus } from "./oidc.ts";
import type { Person } from "./permissions.ts";
import { Sessions } from "./sessions.ts";

const CONSOLE = "http://127.0.0.1:8080";
const SESSION_KEY = Buffer.alloc(32, 1);
const REDIRECT = `${CONSOLE}/auth/oidc/callback`;
const USERS = {
  alice: { groups: ["support-supervisors", "sales"] },
  bob: { groups: "support-supervisors" },
  nobody: { groups: [], anonymous: true },
};

let provider: TestProvider;
let dir: string;
let secretFile: string;

beforeAll(async () => {
  provider = await startTestProvider({ redirectUri: REDIRECT, users: USERS });
  dir = await mkdtemp(join(tmpdir(), "console-oidc-"));
  secretFile = join(dir, "client-secret");
});

afterAll(async () => {
  await provider.close();
  await rm(dir, { recursive: true, force: true });
});

interface Console {
  readonly app: FastifyInstance;
  readonly status: OidcStatus;
  /** Who each session the console established names. */
  readonly people: Person[];
}

const consoles: Console[] = [];
afterEach(async () => {
  await Promise.all(consoles.splice(0).map(({ app }) => app.close()));
});

function oidcConfig(issuer: string): OidcConfig {
  return {
    issuer: new URL(issuer),
    clientId: provider.clientId,
    clientSecretFile: secretFile,
    usernameClaim: "preferred_username",
    groupsClaim: "groups",
    scopes: ["openid", "profile", "email"],
    redirectUri: new URL(REDIRECT),
    secureCookies: false,
  };
}

async function startConsole(issuer = provider.issuer): Promise<Console> {
  await writeFile(secretFile, `${provider.clientSecret}\n`);
  const app = Fastify();
  const people: Person[] = [];
  const real = new Sessions({
    key: SESSION_KEY,
    ttlMs: 3_600_000,
    idleMs: 600_000,
    secure: false,
    clock: systemClock,
  });
  const sessions = {
    establish: (...args: Parameters<Sessions["establish"]>) => {
      people.push(args[1]);
      return real.establish(...args);
    },
  };
  const status = registerOidcRoutes(app, {
    config: oidcConfig(issuer),
    sessions,
    log: app.log,
    sessionKey: SESSION_KEY,
    clock: systemClock,
  });
  await app.ready();
  const started = { app, status, people };
  consoles.push(started);
  return started;
}

async function discovered(status: OidcStatus, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (status.problem() !== undefined) {
    if (Date.now() > deadline) throw new Error(`not discovered: ${String(status.problem())}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** GET /auth/oidc/login: the provider URL and the sealed cookie's value. */
async function startSignIn(app: FastifyInstance, returnTo?: string) {
  const response = await app.inject({
    url: "/auth/oidc/login",
    query: returnTo === undefined ? {} : { returnTo },
  });
  expect(response.statusCode).toBe(302);
  const setCookie = String(response.headers["set-cookie"]);
  const cookie = /^cbo_oidc=([^;]+)/.exec(setCookie)?.[1] ?? "";
  return { location: String(response.headers.location), setCookie, cookie };
}

async function callback(app: FastifyInstance, url: URL, cookie: string | undefined) {
  return app.inject({
    url: `${url.pathname}${url.search}`,
    headers: cookie === undefined ? {} : { cookie: `cbo_oidc=${cookie}` },
  });
}

describe("single sign-on against a real OpenID provider", () => {
  it("signs a person in with the user name and groups of the claims, with PKCE S256, state and nonce", async () => {
    const { app, status, people } = await startConsole();
    await discovered(status);
    const start = await startSignIn(app, "/services?group=support");
    expect(start.location.startsWith(`${provider.issuer}/auth?`)).toBe(true);
    expect(start.setCookie).toMatch(/HttpOnly/);
    expect(start.setCookie).toMatch(/SameSite=Lax/);
    expect(start.setCookie).toMatch(/Max-Age=300/);

    const back = await signInAtProvider(start.location, "alice");
    const seen = provider.authorizationRequests.at(-1);
    expect(seen?.get("code_challenge_method")).toBe("S256");
    expect(seen?.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(seen?.get("state")).toMatch(/.{20,}/);
    expect(seen?.get("nonce")).toMatch(/.{20,}/);
    expect(seen?.get("redirect_uri")).toBe(REDIRECT);
    expect(seen?.get("scope")).toBe("openid profile email");
    expect(back.href.startsWith(REDIRECT)).toBe(true);
    expect(back.searchParams.get("code")).not.toBeNull();
    const done = await callback(app, back, start.cookie);
    expect(done.statusCode).toBe(302);
    expect(done.headers.location).toBe("/services?group=support");
    expect(people).toEqual([
      { username: "alice", groups: ["support-supervisors", "sales"], via: "oidc" },
    ]);
    const cookies = [done.headers["set-cookie"]].flat().join("\n");
    expect(cookies).toMatch(/cbo_oidc=; Path=\/auth\/oidc; Max-Age=0/);
    expect(cookies).toMatch(/cbo_session=[^;]+; Path=\/; HttpOnly; SameSite=Lax/);
  });

  it("asks userinfo only for claims the ID token lacks", async () => {
    const { app, status, people } = await startConsole();
    await discovered(status);
    const before = provider.userinfoRequests();
    const start = await startSignIn(app);
    await callback(app, await signInAtProvider(start.location, "alice"), start.cookie);
    // oidc-provider keeps profile claims out of a code flow's ID token: userinfo gives them.
    expect(provider.userinfoRequests()).toBe(before + 1);

    const keycloakLike = await startTestProvider({
      redirectUri: REDIRECT,
      users: USERS,
      claimsInIdToken: true,
    });
    try {
      const other = await startConsole(keycloakLike.issuer);
      await discovered(other.status);
      const second = await startSignIn(other.app);
      const done = await callback(
        other.app,
        await signInAtProvider(second.location, "alice"),
        second.cookie,
      );
      expect(done.statusCode).toBe(302);
      expect(other.people).toEqual([
        { username: "alice", groups: ["support-supervisors", "sales"], via: "oidc" },
      ]);
      expect(keycloakLike.userinfoRequests()).toBe(0);
    } finally {
      await keycloakLike.close();
    }
    expect(people).toHaveLength(1);
  });

  it("takes a groups claim that is one string as one group", async () => {
    const { app, status, people } = await startConsole();
    await discovered(status);
    const start = await startSignIn(app);
    const done = await callback(app, await signInAtProvider(start.location, "bob"), start.cookie);
    expect(done.headers.location).toBe("/");
    expect(people).toEqual([{ username: "bob", groups: ["support-supervisors"], via: "oidc" }]);
  });

  it("refuses a replayed code, and a callback without the browser's sign-in cookie", async () => {
    const { app, status, people } = await startConsole();
    await discovered(status);
    const start = await startSignIn(app);
    const back = await signInAtProvider(start.location, "alice");
    expect((await callback(app, back, start.cookie)).statusCode).toBe(302);

    const replayed = await callback(app, back, start.cookie);
    expect(replayed.statusCode).toBe(401);
    expect(replayed.body).toMatch(/refused the token request with &#34;invalid_grant&#34;/);
    const cookieless = await callback(app, back, undefined);
    expect(cookieless.statusCode).toBe(401);
    expect(cookieless.body).toMatch(/no single sign-on was in progress in this browser/);
    expect(people).toHaveLength(1);
  });

  it("refuses a callback whose state is not the one this browser started", async () => {
    const { app, status, people } = await startConsole();
    await discovered(status);
    const start = await startSignIn(app);
    const back = await signInAtProvider(start.location, "alice");
    back.searchParams.set("state", "another-state");
    const refused = await callback(app, back, start.cookie);
    expect(refused.statusCode).toBe(401);
    expect(refused.body).toMatch(/state/);
    expect(people).toEqual([]);
  });

  it("refuses a sign-in cookie that was changed", async () => {
    const { app, status, people } = await startConsole();
    await discovered(status);
    const start = await startSignIn(app);
    const back = await signInAtProvider(start.location, "alice");
    const changed = `${start.cookie.slice(0, -2)}${start.cookie.endsWith("AA") ? "BB" : "AA"}`;
    expect((await callback(app, back, changed)).statusCode).toBe(401);
    expect(people).toEqual([]);
  });

  it.each(["https://evil.example/", "//evil.example", "/\\evil.example"])(
    "sends a person to / instead of the returnTo %j",
    async (returnTo) => {
      const { app, status } = await startConsole();
      await discovered(status);
      const start = await startSignIn(app, returnTo);
      const done = await callback(
        app,
        await signInAtProvider(start.location, "alice"),
        start.cookie,
      );
      expect(done.statusCode).toBe(302);
      expect(done.headers.location).toBe("/");
    },
  );

  it("shows the provider's error as a 401 page naming it", async () => {
    const { app, status, people } = await startConsole();
    await discovered(status);
    const start = await startSignIn(app);
    const state = new URL(start.location).searchParams.get("state") ?? "";
    const back = new URL(REDIRECT);
    back.search = new URLSearchParams({
      error: "access_denied",
      error_description: "End-User aborted <interaction>",
      state,
      iss: provider.issuer,
    }).toString();
    const refused = await callback(app, back, start.cookie);
    expect(refused.statusCode).toBe(401);
    expect(refused.headers["content-type"]).toMatch(/text\/html/);
    expect(refused.body).toContain(
      "&#34;access_denied&#34;: End-User aborted &#60;interaction&#62;",
    );
    expect(people).toEqual([]);
  });

  it("refuses a person without the user-name claim, naming the claim", async () => {
    const { app, status, people } = await startConsole();
    await discovered(status);
    const start = await startSignIn(app);
    const refused = await callback(
      app,
      await signInAtProvider(start.location, "nobody"),
      start.cookie,
    );
    expect(refused.statusCode).toBe(401);
    expect(refused.body).toMatch(/no user name in the claim &#34;preferred_username&#34;/);
    expect(people).toEqual([]);
  });

  it("re-reads the client secret on each sign-in", async () => {
    const { app, status, people } = await startConsole();
    await discovered(status);
    await writeFile(secretFile, "a-wrong-secret");
    const first = await startSignIn(app);
    const refused = await callback(
      app,
      await signInAtProvider(first.location, "alice"),
      first.cookie,
    );
    expect(refused.statusCode).toBe(401);
    expect(refused.body).toMatch(/invalid_client/);

    await writeFile(secretFile, provider.clientSecret);
    const second = await startSignIn(app);
    const done = await callback(
      app,
      await signInAtProvider(second.location, "alice"),
      second.cookie,
    );
    expect(done.statusCode).toBe(302);
    expect(people.map((person) => person.username)).toEqual(["alice"]);
  });

  it("starts while the issuer is unreachable, says why, and signs in once discovery succeeds", async () => {
    const port = await freePort();
    const late = `http://127.0.0.1:${String(port)}`;
    const { app, status } = await startConsole(late);
    await expect.poll(() => status.problem()).toMatch(/did not answer discovery/);
    expect(status.problem()).toContain(late);
    const unavailable = await app.inject({ url: "/auth/oidc/login" });
    expect(unavailable.statusCode).toBe(503);
    expect(unavailable.body).toContain(late);

    const lateProvider = await startTestProvider({ redirectUri: REDIRECT, users: USERS, port });
    try {
      await discovered(status);
      expect((await app.inject({ url: "/auth/oidc/login" })).statusCode).toBe(302);
    } finally {
      await lateProvider.close();
    }
  });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}
