// The Callback API as a fastify instance, built from its dependencies and testable with inject().
// main.ts only parses flags, wires the real dependencies, listens and shuts down.
import formbody from "@fastify/formbody";
import Fastify, {
  LogController,
  type ConnectionError,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyHttpOptions,
  type FastifyInstance,
  type FastifyReply,
} from "fastify";
import { STATUS_CODES, type Server } from "node:http";
import type { Socket } from "node:net";
import { matches, parseBasicAuth, serviceCredentials, type Credentials } from "./auth.ts";
import type { AppContext } from "./app-context.ts";
import { CallbackService } from "./callback-service.ts";
import { systemClock, type Clock } from "../runtime/clock.ts";
import { DatabaseError } from "./database.ts";
import { serverLimits, type HttpTimeouts } from "./http-timeouts.ts";
import { CallbackError, errorNameForStatus, gmsErrorBody } from "./errors.ts";
import { Metrics } from "./metrics.ts";
import { linkedServices, type SectionLookup } from "./linked-services.ts";
import type { ServiceOptions } from "./options.ts";
import { registerAdminRoutes } from "./routes/admin.ts";
import { registerAvailabilityRoutes } from "./routes/availability.ts";
import { registerLinkedServiceRoutes } from "./routes/linked-services.ts";
import { registerPhoneNumberRoutes } from "./routes/phone-number.ts";
import { registerProbeRoutes } from "./routes/probes.ts";
import { registerServiceRoutes } from "./routes/service-callbacks.ts";
import { registerSessionRoutes } from "./routes/service-sessions.ts";
import { SessionDialogs } from "./session-dialogs.ts";
import type { Store } from "./store.ts";

export interface AdminAuth {
  readonly username: string;
  /** Read on each admin request, so a rotated Secret takes effect without a restart. */
  readonly password: () => Promise<string | undefined>;
}

export interface AppDeps {
  readonly store: Store;
  readonly serviceName: string;
  /** The current options; re-read when the config directory changes. */
  readonly options: () => ServiceOptions;
  /**
   * The mounted sections of the office-hours and capacity services the options may name
   * (`<config-dir>/services/<name>/`); none by default.
   */
  readonly sections?: SectionLookup;
  readonly clock?: Clock;
  readonly admin?: AdminAuth | undefined;
  readonly logger?: FastifyBaseLogger | boolean;
  readonly metrics?: Metrics;
  /** Called when a callback became due at once, so the dispatcher need not wait for its next poll. */
  readonly onCallbackDue?: () => void;
  /** Is the store migrated and is the dispatcher running? Feeds /readyz besides a database ping. */
  readonly ready?: () => boolean;
  readonly bodyLimit?: number;
  readonly timeouts?: Partial<HttpTimeouts>;
  /**
   * Addresses or CIDRs of reverse proxies whose X-Forwarded-* headers are believed. None by
   * default: anyone could send those headers and steer record URLs.
   */
  readonly trustedProxies?: readonly string[];
  /** `https://callbacks.example.com`: the origin of record URLs (`_url`), whatever the request says. */
  readonly externalUrl?: string | undefined;
}

export const DEFAULT_BODY_LIMIT = 64 * 1024;
/** Request line and headers together (Node's default, pinned): more gets 431. */
export const MAX_HEADER_BYTES = 16 * 1024;

function sendError(reply: FastifyReply, error: CallbackError): FastifyReply {
  if (error.exception === "CallbackExceptionUnauthorized") {
    reply.header("WWW-Authenticate", 'Basic realm="genesys", charset="UTF-8"');
  }
  return reply.code(error.status).type("application/json; charset=utf-8").send(gmsErrorBody(error));
}

/** Fastify's own errors (bad JSON, size, content type, timeouts) as GMS error bodies. */
function toCallbackError(error: FastifyError | DatabaseError): CallbackError {
  if (error instanceof DatabaseError) {
    return error.busy
      ? new CallbackError(
          "CallbackExceptionServiceUnavailable",
          "The database is busy: the request did not complete in time. Retry shortly.",
        )
      : new CallbackError("CallbackExceptionInternal", "Internal server error.");
  }
  const status = error.statusCode ?? 500;
  if (status >= 500)
    return new CallbackError("CallbackExceptionInternal", "Internal server error.");
  const name = errorNameForStatus(status);
  const message =
    error.code === "FST_ERR_CTP_BODY_TOO_LARGE" ? "The request body is too large." : error.message;
  return new CallbackError(name, message.slice(0, 500));
}

/** The GMS error for a Node client error (its `code`). */
function clientErrorAnswer(code: string): CallbackError {
  if (code === "ERR_HTTP_REQUEST_TIMEOUT")
    return new CallbackError(
      "CallbackExceptionRequestTimeout",
      "The request did not arrive in time.",
    );
  if (code === "HPE_HEADER_OVERFLOW") {
    return new CallbackError(
      "CallbackExceptionRequestHeaderFieldsTooLarge",
      `The request headers exceed ${MAX_HEADER_BYTES} bytes.`,
    );
  }
  return new CallbackError("CallbackExceptionBadRequest", "The request is not valid HTTP.");
}

/**
 * Errors Node raises before a request reaches fastify (timeouts, oversized headers, unparsable
 * HTTP) answered in GMS shape on the raw socket, which is then closed. The error is logged by its
 * code only: its raw packet holds the request's headers, credentials included (fastify's default
 * handler logs it whole at trace level).
 */
function clientErrorHandler(this: FastifyInstance, error: ConnectionError, socket: Socket): void {
  if (error.code === "ECONNRESET" || socket.destroyed) return;
  const answer = clientErrorAnswer(error.code);
  const status = answer.status;
  this.log.debug({ code: error.code, status }, "Client error");
  // As Node does: no error answer into a response already under way on this socket.
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent: boolean } | null })
    ._httpMessage;
  if (socket.writable && inFlight?.headersSent !== true) {
    const body = JSON.stringify(gmsErrorBody(answer));
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ""}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const bodyLimit = deps.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const serverOptions: FastifyHttpOptions<Server> = {
    bodyLimit,
    ...serverLimits(deps.timeouts, MAX_HEADER_BYTES),
    clientErrorHandler,
    trustProxy:
      deps.trustedProxies === undefined || deps.trustedProxies.length === 0
        ? false
        : [...deps.trustedProxies],
    // Fastify's request log holds the URL, whose query string carries phone numbers and user data:
    // the onResponse hook below logs the route pattern instead.
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
    // Errors raised before routing (a malformed URL) still answer in GMS shape.
    frameworkErrors: (error, _request, reply) => {
      void sendError(reply, toCallbackError(error));
    },
  };
  const app: FastifyInstance =
    deps.logger === undefined || typeof deps.logger === "boolean"
      ? Fastify({ ...serverOptions, logger: deps.logger ?? false })
      : Fastify({ ...serverOptions, loggerInstance: deps.logger });

  const clock = deps.clock ?? systemClock;
  const metrics = deps.metrics ?? new Metrics();
  const adminCredentials = async (): Promise<Credentials | undefined> => {
    if (deps.admin === undefined) return undefined;
    const password = await deps.admin.password();
    return password === undefined || password === ""
      ? undefined
      : { username: deps.admin.username, password };
  };

  const sections = deps.sections ?? (() => undefined);
  const linked = () => linkedServices(deps.options(), sections);
  const externalOrigin =
    deps.externalUrl === undefined ? undefined : new URL(deps.externalUrl).origin;
  const context: AppContext = {
    store: deps.store,
    serviceName: deps.serviceName,
    options: deps.options,
    linked,
    clock,
    metrics,
    callbacks: new CallbackService({ store: deps.store, clock, options: deps.options, linked }),
    sessions: new SessionDialogs({ store: deps.store, clock, options: deps.options }),
    onCallbackDue: deps.onCallbackDue ?? (() => undefined),
    ready: deps.ready ?? (() => true),
    origin(request) {
      if (externalOrigin !== undefined) return externalOrigin;
      // The Host header of a direct request (X-Forwarded-Host only from a trusted proxy); one that
      // is not a plain host[:port] does not make it into a URL.
      // (An HTTP/1.0 request may carry no Host at all.)
      const given: unknown = request.host;
      const host =
        typeof given === "string" &&
        /^(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/.test(given)
          ? given
          : "localhost";
      return `${request.protocol}://${host}`;
    },
    async requireService(request) {
      const given = parseBasicAuth(request.headers.authorization);
      const admin = await adminCredentials();
      if (admin !== undefined && matches(given, admin)) return "admin";
      const service = serviceCredentials(deps.options());
      // A section with half its credentials is refused at start and at reload; should one get
      // here anyway, it is closed, never open.
      if (service.kind === "open") return "service";
      if (service.kind === "required" && matches(given, service.credentials)) return "service";
      throw new CallbackError(
        "CallbackExceptionUnauthorized",
        "Authentication required: wrong or missing credentials.",
      );
    },
    async requireAdmin(request) {
      const admin = await adminCredentials();
      if (admin === undefined) {
        throw new CallbackError(
          "CallbackExceptionForbidden",
          "The admin API is disabled: start the server with --admin-username and --admin-password-file.",
        );
      }
      if (!matches(parseBasicAuth(request.headers.authorization), admin)) {
        throw new CallbackError(
          "CallbackExceptionUnauthorized",
          "Authentication required: wrong or missing admin credentials.",
        );
      }
    },
  };

  // text/plain would reach handlers as a bare string; GMS takes JSON or form fields only.
  app.removeContentTypeParser("text/plain");
  // GMS's mobile clients cancel with `Content-Type: application/json` and no body: a DELETE reads no
  // body, so an empty one is no error there (elsewhere fastify's own parser decides, unchanged).
  const jsonParser = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
    if (request.method === "DELETE" && body === "") {
      done(null, undefined);
      return;
    }
    void jsonParser(request, body.toString(), done);
  });
  await app.register(formbody, { bodyLimit });

  app.setErrorHandler((error: FastifyError | CallbackError | DatabaseError, request, reply) => {
    const callbackError = error instanceof CallbackError ? error : toCallbackError(error);
    if (callbackError.status >= 500) request.log.error({ err: error }, "Request failed");
    return sendError(reply, callbackError);
  });
  app.setNotFoundHandler((request, reply) => {
    return sendError(
      reply,
      new CallbackError(
        "CallbackExceptionNotFound",
        `No resource at ${request.method} ${request.url.slice(0, 200)}.`,
      ),
    );
  });
  app.addHook("onResponse", async (request, reply) => {
    const route = request.routeOptions.url ?? "unmatched";
    metrics.httpRequests.inc({ method: request.method, route, status: String(reply.statusCode) });
    request.log.info(
      {
        method: request.method,
        route,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      "request completed",
    );
  });

  registerProbeRoutes(app, context);
  registerServiceRoutes(app, context);
  registerAvailabilityRoutes(app, context);
  registerLinkedServiceRoutes(app, context);
  registerSessionRoutes(app, context);
  registerAdminRoutes(app, context);
  registerPhoneNumberRoutes(app, context);
  return app;
}
