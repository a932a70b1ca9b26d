// The Callback API as a fastify instance, built from its dependencies and testable with inject().
// main.ts only parses flags, wires the real dependencies, listens and shuts down.
import formbody from "@fastify/formbody";
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
} from "fastify";
import { matches, parseBasicAuth, type Credentials } from "./auth.ts";
import { CallbackService } from "./callback-service.ts";
import { systemClock, type Clock } from "./clock.ts";
import { CallbackError, errorNameForStatus, gmsErrorBody } from "./errors.ts";
import { Metrics } from "./metrics.ts";
import type { ServiceOptions } from "./options.ts";
import { registerAdminRoutes } from "./routes/admin.ts";
import { registerAvailabilityRoutes } from "./routes/availability.ts";
import { registerProbeRoutes } from "./routes/probes.ts";
import { registerServiceRoutes } from "./routes/service-callbacks.ts";
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
  readonly clock?: Clock;
  readonly admin?: AdminAuth | undefined;
  readonly logger?: FastifyBaseLogger | boolean;
  readonly metrics?: Metrics;
  /** Called when a callback became due at once, so the dispatcher need not wait for its next poll. */
  readonly onCallbackDue?: () => void;
  /** Is the store migrated and is the dispatcher running? Feeds /readyz besides a database ping. */
  readonly ready?: () => boolean;
  readonly bodyLimit?: number;
  readonly requestTimeoutMs?: number;
}

export interface AppContext {
  readonly store: Store;
  readonly serviceName: string;
  readonly options: () => ServiceOptions;
  readonly clock: Clock;
  readonly metrics: Metrics;
  readonly callbacks: CallbackService;
  readonly onCallbackDue: () => void;
  readonly ready: () => boolean;
  readonly requireService: (request: FastifyRequest) => Promise<void>;
  readonly requireAdmin: (request: FastifyRequest) => Promise<void>;
}

export const DEFAULT_BODY_LIMIT = 64 * 1024;

function sendError(reply: FastifyReply, error: CallbackError): FastifyReply {
  if (error.exception === "CallbackExceptionUnauthorized") {
    reply.header("WWW-Authenticate", 'Basic realm="genesys", charset="UTF-8"');
  }
  return reply.code(error.status).type("application/json; charset=utf-8").send(gmsErrorBody(error));
}

/** Fastify's own errors (bad JSON, size, content type, timeouts) as GMS error bodies. */
function toCallbackError(error: FastifyError): CallbackError {
  const status = error.statusCode ?? 500;
  if (status >= 500)
    return new CallbackError("CallbackExceptionInternal", "Internal server error.");
  const name = errorNameForStatus(status);
  const message =
    error.code === "FST_ERR_CTP_BODY_TOO_LARGE" ? "The request body is too large." : error.message;
  return new CallbackError(name, message.slice(0, 500));
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const bodyLimit = deps.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const serverOptions: FastifyServerOptions = {
    bodyLimit,
    requestTimeout: deps.requestTimeoutMs ?? 30_000,
    connectionTimeout: deps.requestTimeoutMs ?? 30_000,
    keepAliveTimeout: 65_000,
    trustProxy: true,
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

  const context: AppContext = {
    store: deps.store,
    serviceName: deps.serviceName,
    options: deps.options,
    clock,
    metrics,
    callbacks: new CallbackService({ store: deps.store, clock, options: deps.options }),
    onCallbackDue: deps.onCallbackDue ?? (() => undefined),
    ready: deps.ready ?? (() => true),
    async requireService(request) {
      const options = deps.options();
      if (options.username === undefined && (options.password ?? "") === "") return;
      const given = parseBasicAuth(request.headers.authorization);
      const service = { username: options.username ?? "", password: options.password ?? "" };
      const admin = await adminCredentials();
      if (matches(given, service) || (admin !== undefined && matches(given, admin))) return;
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
  await app.register(formbody, { bodyLimit });

  app.setErrorHandler((error: FastifyError | CallbackError, request, reply) => {
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
    metrics.httpRequests.inc({
      method: request.method,
      route: request.routeOptions.url ?? "unmatched",
      status: String(reply.statusCode),
    });
  });

  registerProbeRoutes(app, context);
  registerServiceRoutes(app, context);
  registerAvailabilityRoutes(app, context);
  registerAdminRoutes(app, context);
  return app;
}
