// The console's HTTP server (fastify): the page and its static files, sign-in and sign-out, the
// JSON API (api-routes.ts) and probes. Every API call is checked here for a live session and, when
// it changes something, for the session's CSRF token and a same-origin Origin.
import { readFile } from "node:fs/promises";
import { stripTypeScriptTypes } from "node:module";
import path from "node:path";
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from "fastify";
import type { ConsolePermissionSpec } from "../api/console-permission.ts";
import { serverLimits } from "../callback-api/http-timeouts.ts";
import type { Clock } from "../runtime/clock.ts";
import { registerApiRoutes } from "./api-routes.ts";
import type { Audit } from "./audit.ts";
import type { ConsoleService } from "./cluster.ts";
import { ConsoleError } from "./errors.ts";
import type { LocalUsers } from "./local-users.ts";
import type { OidcConfig } from "./oidc-flags.ts";
import { registerOidcRoutes } from "./oidc.ts";
import { grantsOf, type Grant } from "./permissions.ts";
import type { Session, Sessions } from "./sessions.ts";
import { SignInLimits } from "./sign-in-limits.ts";
import { GmsRefusal, UpstreamError, type CallbackApis } from "./upstream.ts";

/** What the server reads of the cluster at each request (cluster.ts watches it). */
export interface ClusterView {
  services(): ConsoleService[];
  permissions(): ConsolePermissionSpec[];
  readonly synced: boolean;
}

export interface ConsoleDeps {
  readonly cluster: ClusterView;
  readonly apis: CallbackApis;
  readonly sessions: Sessions;
  readonly localUsers: LocalUsers | undefined;
  /** Single sign-on (oidc.ts), when --oidc-issuer is set; its cookie's key derives from the session key. */
  readonly oidc: { readonly config: OidcConfig; readonly sessionKey: Buffer } | undefined;
  readonly audit: Audit;
  readonly clock: Clock;
  /** The public origin (--external-url); the request's own origin when undefined. */
  readonly externalOrigin: string | undefined;
  readonly logger: FastifyBaseLogger;
}

/** One signed-in request: its session and, per `namespace/name`, what the person may do there. */
export interface Caller {
  readonly session: Session;
  readonly grants: Map<string, Grant>;
  readonly services: Map<string, ConsoleService>;
}

export const webDir = path.join(import.meta.dirname, "web");
const MAX_BODY_BYTES = 256 * 1024;
/** Set to "background" by the page's timer (web/api.ts): such a request does not renew the idle time. */
const backgroundHeader = "x-console-refresh";
const staticName = /^[A-Za-z0-9_-][A-Za-z0-9._-]*(\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$/;
const contentTypes: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".ts": "text/javascript; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".json": "application/json; charset=utf-8",
};

function sendError(reply: FastifyReply, error: ConsoleError): FastifyReply {
  return reply.code(error.status).send({ error: error.code, message: error.message });
}

function asConsoleError(error: Error & { statusCode?: number }): ConsoleError {
  if (error instanceof ConsoleError) return error;
  if (error instanceof UpstreamError)
    return new ConsoleError(error.unavailable ? 503 : 502, "upstream", error.message);
  if (error instanceof GmsRefusal)
    return new ConsoleError(
      error.status,
      error.status === 404 ? "not_found" : "invalid",
      `The Callback API refused: ${error.message}`,
    );
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500)
    return new ConsoleError(
      400,
      "invalid",
      `The request could not be read (${error.message}): send JSON with Content-Type application/json`,
    );
  return new ConsoleError(500, "invalid", "The console failed on this request; see its log");
}

/**
 * Whether an Origin header is the console's own: `--external-url` exactly when given; otherwise the
 * host the request was sent to (the scheme is not compared: behind a TLS-terminating ingress the
 * console sees http while the page's Origin says https).
 */
function sameOrigin(
  origin: string,
  request: FastifyRequest,
  external: string | undefined,
): boolean {
  if (external !== undefined) return origin === external;
  try {
    const url = new URL(origin);
    return (url.protocol === "http:" || url.protocol === "https:") && url.host === request.host;
  } catch {
    return false;
  }
}

export function buildConsoleApp(deps: ConsoleDeps): FastifyInstance {
  const app = Fastify({
    loggerInstance: deps.logger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: MAX_BODY_BYTES,
    ...serverLimits(undefined, 16 * 1024),
  });
  const compiled = new Map<string, Buffer>();

  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
    const answer = asConsoleError(error);
    if (answer.status >= 500 && !(error instanceof UpstreamError))
      request.log.error({ err: error }, "Request failed");
    return sendError(reply, answer);
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(
      reply,
      new ConsoleError(
        404,
        "not_found",
        `No such path ${request.url.slice(0, 100)}: see docs/console.md`,
      ),
    ),
  );
  // The page runs only its own scripts and is never framed; no answer is cached by proxies.
  app.addHook("onSend", async (_request, reply) => {
    reply.header(
      "content-security-policy",
      "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    );
    reply.header("x-content-type-options", "nosniff");
    reply.header("referrer-policy", "same-origin");
    reply.header("cache-control", "no-store");
  });

  const sendStatic = async (reply: FastifyReply, name: string): Promise<FastifyReply> => {
    if (!staticName.test(name) || name.split("/").some((part) => part.startsWith(".")))
      throw new ConsoleError(404, "not_found", `No such file ${name.slice(0, 100)}`);
    const extension = path.extname(name);
    const type = contentTypes[extension];
    if (type === undefined) throw new ConsoleError(404, "not_found", `No such file ${name}`);
    let body = compiled.get(name);
    if (body === undefined) {
      let source: Buffer;
      try {
        source = await readFile(path.join(webDir, name));
      } catch {
        throw new ConsoleError(404, "not_found", `No such file ${name}`);
      }
      // The page is TypeScript with erasable syntax only: served as JavaScript, no build step.
      body =
        extension === ".ts" ? Buffer.from(stripTypeScriptTypes(source.toString("utf8"))) : source;
      compiled.set(name, body);
    }
    return reply.type(type).send(body);
  };

  app.get("/", (_request, reply) => sendStatic(reply, "index.html"));
  app.get<{ Params: { "*": string } }>("/assets/*", (request, reply) =>
    sendStatic(reply, request.params["*"]),
  );
  app.get("/healthz", () => ({ status: "ok" }));
  const oidc =
    deps.oidc === undefined
      ? undefined
      : registerOidcRoutes(app, {
          config: deps.oidc.config,
          sessions: deps.sessions,
          log: deps.logger,
          sessionKey: deps.oidc.sessionKey,
          clock: deps.clock,
        });
  app.get("/readyz", (_request, reply) => {
    if (!deps.cluster.synced)
      return reply.code(503).send({
        status: "starting",
        message: "CallbackServices and ConsolePermissions are not listed yet",
      });
    // An issuer that does not answer (a wrong --oidc-issuer) holds a rollout back.
    const problem = oidc?.problem();
    if (problem !== undefined)
      return reply.code(503).send({ status: "starting", message: `single sign-on: ${problem}` });
    return { status: "ready" };
  });

  /** The caller, or a 401; for a POST also the CSRF checks (a 403). */
  const caller = (request: FastifyRequest, reply: FastifyReply): Caller => {
    // The page's own timer (its 5 s refresh) says so in a header: it must not keep an unattended
    // session alive, so only what a person does renews the idle time.
    const background = request.headers[backgroundHeader] === "background";
    const session = deps.sessions.current(request, background ? undefined : reply);
    if (session === undefined)
      throw new ConsoleError(
        401,
        "unauthenticated",
        "Not signed in, or the session ended: sign in again",
      );
    if (request.method !== "GET" && request.method !== "HEAD") checkCsrf(request, session);
    const services = deps.cluster.services();
    return {
      session,
      grants: grantsOf(session.person, deps.cluster.permissions(), services),
      services: new Map(
        services.map((service) => [`${service.namespace}/${service.name}`, service]),
      ),
    };
  };

  const checkOrigin = (request: FastifyRequest): void => {
    const origin = request.headers.origin;
    // A browser that says the request comes from another site is refused whatever the Origin.
    const site = request.headers["sec-fetch-site"];
    if (site === "cross-site")
      throw new ConsoleError(
        403,
        "csrf",
        "A cross-site request cannot act in the console: use the console's own page",
      );
    if (origin !== undefined && !sameOrigin(origin, request, deps.externalOrigin))
      throw new ConsoleError(
        403,
        "csrf",
        `Origin ${origin.slice(0, 100)} is not the console's: use the console's own page`,
      );
  };

  const checkCsrf = (request: FastifyRequest, session: Session): void => {
    checkOrigin(request);
    const token = request.headers["x-csrf-token"];
    if (!deps.sessions.csrfMatches(session, typeof token === "string" ? token : undefined))
      throw new ConsoleError(
        403,
        "csrf",
        "X-CSRF-Token is missing or not this session's: send the csrfToken of GET /api/session",
      );
  };

  const signIn = { local: deps.localUsers !== undefined, oidc: deps.oidc !== undefined };
  const sessionAnswer = (session: Session) => ({
    username: session.person.username,
    groups: session.person.groups,
    via: session.person.via,
    csrfToken: session.csrfToken,
    expiresAt: new Date(session.expiresAt).toISOString(),
    signIn,
  });

  app.get("/api/sign-in-methods", () => signIn);
  app.get("/auth/login-token", (_request, reply) => ({ token: deps.sessions.loginToken(reply) }));

  const signInLimits = new SignInLimits(deps.clock);
  app.post("/auth/login", async (request, reply) => {
    checkOrigin(request);
    const token = request.headers["x-csrf-token"];
    if (!deps.sessions.loginTokenMatches(request, typeof token === "string" ? token : undefined))
      throw new ConsoleError(
        403,
        "csrf",
        "X-CSRF-Token is missing or not the sign-in form's: get one from GET /auth/login-token",
      );
    const body = request.body as { username?: unknown; password?: unknown } | undefined;
    const username = body?.username;
    const password = body?.password;
    if (typeof username !== "string" || username === "" || username.length > 253)
      throw new ConsoleError(400, "invalid", "username must be a user name of 1 to 253 characters");
    if (typeof password !== "string" || password === "" || password.length > 1024)
      throw new ConsoleError(400, "invalid", "password must be 1 to 1024 characters");
    if (deps.localUsers === undefined)
      throw new ConsoleError(
        401,
        "invalid_credentials",
        "Local sign-in is not configured: set --local-users-dir, or sign in with single sign-on",
      );
    const admission = signInLimits.admit(username);
    if (!admission.ok) {
      const seconds = Math.max(1, Math.ceil(admission.retryAfterMs / 1000));
      request.log.warn(
        { username: username.slice(0, 64), limit: admission.reason },
        "Sign-in held back",
      );
      reply.header("retry-after", String(seconds));
      throw new ConsoleError(
        429,
        "too_many_attempts",
        admission.reason === "user"
          ? `Too many failed sign-ins for this user name: try again in ${seconds} s, or ask an administrator to check the account`
          : "Too many sign-ins at once: try again in a second",
      );
    }
    let checked: Awaited<ReturnType<LocalUsers["check"]>>;
    try {
      checked = await deps.localUsers.check(username, password);
    } catch (error) {
      admission.done(false);
      throw error;
    }
    admission.done(checked.ok);
    if (!checked.ok) {
      request.log.warn(
        { username: username.slice(0, 64), problem: checked.problem },
        "Sign-in failed",
      );
      throw new ConsoleError(401, "invalid_credentials", "Wrong user name or password");
    }
    const session = deps.sessions.establish(reply, { username, groups: [], via: "local" });
    request.log.info({ username, via: "local" }, "Signed in");
    return sessionAnswer(session);
  });

  app.post("/auth/logout", (request, reply) => {
    const session = deps.sessions.current(request);
    if (session === undefined) {
      deps.sessions.clear(reply);
      return reply.code(204).send();
    }
    checkCsrf(request, session);
    deps.sessions.revoke(session, reply);
    request.log.info({ username: session.person.username }, "Signed out");
    return reply.code(204).send();
  });

  app.get("/api/session", (request, reply) => sessionAnswer(caller(request, reply).session));

  registerApiRoutes(app, { ...deps, caller });
  return app;
}
