import Fastify, { type FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../runtime/clock.ts";
import { Sessions, type Session } from "./sessions.ts";

const clock = new ManualClock("2030-03-04T10:00:00.000Z");
const apps: FastifyInstance[] = [];

/** A server with the session routes a test needs: sign in as, who am I, sign out, CSRF check. */
function server(options: { ttlMs?: number; idleMs?: number; key?: Buffer; secure?: boolean } = {}) {
  const sessions = new Sessions({
    key: options.key ?? Buffer.alloc(32, 7),
    ttlMs: options.ttlMs ?? 8 * 3_600_000,
    idleMs: options.idleMs ?? 30 * 60_000,
    secure: options.secure ?? false,
    clock,
  });
  const app = Fastify();
  apps.push(app);
  app.post("/in", (_request, reply) => {
    const session = sessions.establish(reply, { username: "sam", groups: ["a"], via: "local" });
    return { csrfToken: session.csrfToken };
  });
  const current = (session: Session | undefined) =>
    session === undefined ? { signedIn: false } : { signedIn: true, user: session.person.username };
  app.get("/me", (request, reply) => current(sessions.current(request, reply)));
  app.post("/out", (request, reply) => {
    const session = sessions.current(request, reply);
    if (session !== undefined) sessions.revoke(session, reply);
    return {};
  });
  app.post("/act", (request, reply) => {
    const session = sessions.current(request, reply);
    const token = request.headers["x-csrf-token"];
    return {
      ok:
        session !== undefined &&
        sessions.csrfMatches(session, typeof token === "string" ? token : undefined),
    };
  });
  app.get("/login-token", (_request, reply) => ({ token: sessions.loginToken(reply) }));
  app.post("/login", (request) => {
    const token = request.headers["x-csrf-token"];
    return {
      ok: sessions.loginTokenMatches(request, typeof token === "string" ? token : undefined),
    };
  });
  return app;
}

function cookieOf(setCookie: string | string[] | undefined, name: string): string {
  const lines = Array.isArray(setCookie) ? setCookie : setCookie === undefined ? [] : [setCookie];
  const line = lines.find((l) => l.startsWith(`${name}=`)) ?? "";
  return line.split(";")[0] ?? "";
}

async function signIn(
  app: FastifyInstance,
): Promise<{ cookie: string; csrfToken: string; setCookie: string }> {
  const response = await app.inject({ method: "POST", url: "/in" });
  const setCookie = String(response.headers["set-cookie"]);
  return {
    cookie: cookieOf(response.headers["set-cookie"], "cbo_session"),
    csrfToken: response.json<{ csrfToken: string }>().csrfToken,
    setCookie,
  };
}

async function me(app: FastifyInstance, cookie: string): Promise<unknown> {
  return (await app.inject({ method: "GET", url: "/me", headers: { cookie } })).json();
}

afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

describe("Sessions", () => {
  it("sets an HttpOnly, SameSite=Lax cookie, Secure when asked", async () => {
    expect((await signIn(server())).setCookie).toMatch(
      /^cbo_session=[^;]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=28800$/,
    );
    expect((await signIn(server({ secure: true }))).setCookie).toMatch(/; Secure$/);
  });

  it("ends a session idle for --session-idle, and renews the idle time on each request", async () => {
    const app = server({ idleMs: 60_000 });
    let { cookie } = await signIn(app);
    clock.advance(50_000);
    const renewed = await app.inject({ method: "GET", url: "/me", headers: { cookie } });
    expect(renewed.json()).toEqual({ signedIn: true, user: "sam" });
    cookie = cookieOf(renewed.headers["set-cookie"], "cbo_session");
    clock.advance(50_000);
    expect(await me(app, cookie)).toEqual({ signedIn: true, user: "sam" });
    clock.advance(60_000);
    expect(await me(app, cookie)).toEqual({ signedIn: false });
  });

  it("ends a session at --session-ttl however busy", async () => {
    const app = server({ ttlMs: 120_000, idleMs: 60_000 });
    let { cookie } = await signIn(app);
    for (let i = 0; i < 3; i++) {
      clock.advance(39_000);
      const response = await app.inject({ method: "GET", url: "/me", headers: { cookie } });
      expect(response.json()).toEqual({ signedIn: true, user: "sam" });
      cookie = cookieOf(response.headers["set-cookie"], "cbo_session");
    }
    clock.advance(3_000);
    expect(await me(app, cookie)).toEqual({ signedIn: false });
  });

  it("refuses a revoked session, a tampered cookie and one signed with another key", async () => {
    const app = server();
    const { cookie } = await signIn(app);
    const [name, value = ""] = cookie.split("=");
    const [body = "", signature = ""] = value.split(".");
    const payload = JSON.parse(Buffer.from(body, "base64url").toString()) as Record<
      string,
      unknown
    >;
    const forged = Buffer.from(JSON.stringify({ ...payload, u: "alice" })).toString("base64url");
    expect(await me(app, `${name}=${forged}.${signature}`)).toEqual({ signedIn: false });
    expect(await me(app, `${name}=${body}`)).toEqual({ signedIn: false });
    const other = server({ key: Buffer.alloc(32, 8) });
    expect(await me(other, cookie)).toEqual({ signedIn: false });

    expect(await me(app, cookie)).toEqual({ signedIn: true, user: "sam" });
    await app.inject({ method: "POST", url: "/out", headers: { cookie } });
    expect(await me(app, cookie)).toEqual({ signedIn: false });
  });

  it("accepts only the session's own CSRF token", async () => {
    const app = server();
    const one = await signIn(app);
    const two = await signIn(app);
    const act = async (cookie: string, token?: string) =>
      (
        await app.inject({
          method: "POST",
          url: "/act",
          headers: { cookie, ...(token === undefined ? {} : { "x-csrf-token": token }) },
        })
      ).json<{ ok: boolean }>().ok;
    expect(one.csrfToken).not.toBe(two.csrfToken);
    expect(await act(one.cookie, one.csrfToken)).toBe(true);
    expect(await act(one.cookie, two.csrfToken)).toBe(false);
    expect(await act(one.cookie)).toBe(false);
  });

  it("checks the sign-in form's token against its cookie and signature", async () => {
    const app = server();
    const issued = await app.inject({ method: "GET", url: "/login-token" });
    const { token } = issued.json<{ token: string }>();
    const cookie = cookieOf(issued.headers["set-cookie"], "cbo_login");
    expect(String(issued.headers["set-cookie"])).toContain("SameSite=Strict");
    const login = async (headers: Record<string, string>) =>
      (await app.inject({ method: "POST", url: "/login", headers })).json<{ ok: boolean }>().ok;
    expect(await login({ cookie, "x-csrf-token": token })).toBe(true);
    expect(await login({ "x-csrf-token": token })).toBe(false);
    expect(await login({ cookie })).toBe(false);
    // A pair an attacker made up (cookie and header equal, no valid signature) is refused.
    expect(await login({ cookie: "cbo_login=abc.def", "x-csrf-token": "abc.def" })).toBe(false);
  });
});
