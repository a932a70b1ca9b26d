// The entry point: a small HTTP server for the GMS paths that name no service (the cross-service
// query, the admin paths, the paths addressed by a callback's `_id`), answered by asking the
// Callback APIs it knows (docs/adr/0106). It holds no records and decides no permission of a
// service: every upstream still checks the caller's credentials (ADR 0050). The admin paths are
// the exception only in that the entry checks the admin credentials too, before asking anyone.
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyHttpOptions,
} from "fastify";
import type { Server } from "node:http";
import { matches, parseBasicAuth, type Credentials } from "../auth.ts";
import { DEFAULT_BODY_LIMIT, MAX_HEADER_BYTES } from "../app.ts";
import { CallbackError, errorNameForStatus, gmsErrorBody } from "../errors.ts";
import { serverLimits, type HttpTimeouts } from "../http-timeouts.ts";
import {
  checkKey,
  checkPathParam,
  checkText,
  positiveInt,
  queryParams,
} from "../request-params.ts";
import { QUERY_LIMIT } from "../routes/shared.ts";
import type { Answer, Forwarder, Outgoing } from "./forward.ts";
import {
  mergeCancel,
  mergeCsv,
  mergeQueues,
  mergeRecords,
  mergeServices,
  mergeWatermarks,
  type CancelResult,
  type ServiceListing,
  type Watermarks,
} from "./merge.ts";
import { OwnerCache } from "./owners.ts";
import type { Upstream, UpstreamTable } from "./upstreams.ts";

export interface EntryDeps {
  readonly upstreams: UpstreamTable;
  readonly forwarder: Forwarder;
  /** The admin credentials; the admin paths answer 403 without them, as a Callback API does. */
  readonly admin?:
    { readonly username: string; readonly password: () => Promise<string | undefined> } | undefined;
  /** Has the upstream table been filled once (discovery listed the CallbackServices)? */
  readonly ready?: () => boolean;
  readonly logger?: FastifyBaseLogger | boolean;
  readonly timeouts?: Partial<HttpTimeouts>;
  readonly ownerCacheSize?: number;
}

const SERVICE = "/genesys/1/service";
const ADMIN = "/genesys/1/admin/callback";
/** The admin queues' ceiling, as the Callback API's (`max` up to ten times the query limit). */
const QUEUES_LIMIT = 10 * QUERY_LIMIT;

function sendError(reply: FastifyReply, error: CallbackError): FastifyReply {
  if (error.exception === "CallbackExceptionUnauthorized") {
    reply.header("WWW-Authenticate", 'Basic realm="genesys", charset="UTF-8"');
  }
  return reply.code(error.status).type("application/json; charset=utf-8").send(gmsErrorBody(error));
}

/**
 * An upstream's answer passed on as it is: a 4xx about the request, or the owner's answer to a
 * request about its callback (a 503 of its own included, which says what to fix there).
 */
function relay(reply: FastifyReply, answer: Extract<Answer, { kind: "answered" }>): FastifyReply {
  if (answer.status === 401) {
    reply.header("WWW-Authenticate", 'Basic realm="genesys", charset="UTF-8"');
  }
  return reply.code(answer.status).type(answer.contentType).send(answer.body);
}

function unavailable(failures: readonly string[]): CallbackError {
  return new CallbackError(
    "CallbackExceptionServiceUnavailable",
    `Not every service could answer, so no answer is given: ${failures.join("; ").slice(0, 900)}. Retry shortly.`,
  );
}

const unauthorized = (): CallbackError =>
  new CallbackError(
    "CallbackExceptionUnauthorized",
    "Authentication required: wrong or missing credentials.",
  );

interface Sorted {
  readonly ok: Extract<Answer, { kind: "answered" }>[];
  readonly denied: Extract<Answer, { kind: "answered" }>[];
  readonly missing: Extract<Answer, { kind: "answered" }>[];
  /** A 4xx about the request itself: every upstream would say the same. */
  readonly rejected: Extract<Answer, { kind: "answered" }>[];
  readonly failed: string[];
}

function sortAnswers(answers: readonly Answer[]): Sorted {
  const sorted: Sorted = { ok: [], denied: [], missing: [], rejected: [], failed: [] };
  for (const answer of answers) {
    if (answer.kind === "failed") sorted.failed.push(`${answer.upstream.name} ${answer.problem}`);
    else if (answer.status >= 500)
      sorted.failed.push(`${answer.upstream.name} answered ${answer.status}`);
    else if (answer.status < 300) sorted.ok.push(answer);
    else if (answer.status === 401 || answer.status === 403) sorted.denied.push(answer);
    else if (answer.status === 404) sorted.missing.push(answer);
    else sorted.rejected.push(answer);
  }
  return sorted;
}

/** An upstream's 200 body as JSON of the expected shape, else undefined. */
function parsed<T>(answer: { body: string }, check: (value: unknown) => value is T): T | undefined {
  try {
    const value: unknown = JSON.parse(answer.body);
    return check(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** An object of the shape the caller names: each merge still checks the fields it reads. */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the shape is the caller's
function isObject<T extends object = Record<string, unknown>>(value: unknown): value is T {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const isList = (value: unknown): value is unknown[] => Array.isArray(value);

export function buildEntryApp(deps: EntryDeps): FastifyInstance {
  const base: FastifyHttpOptions<Server> = {
    bodyLimit: DEFAULT_BODY_LIMIT,
    ...serverLimits(deps.timeouts, MAX_HEADER_BYTES),
    // The URL carries phone numbers: the onResponse hook logs the route pattern instead.
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
    frameworkErrors: (
      error: Error & { statusCode?: number },
      _request: unknown,
      reply: FastifyReply,
    ) => {
      void sendError(reply, fastifyError(error));
    },
  };
  const app: FastifyInstance =
    deps.logger === undefined || typeof deps.logger === "boolean"
      ? Fastify({ ...base, logger: deps.logger ?? false })
      : Fastify({ ...base, loggerInstance: deps.logger });

  // Bodies are passed on as the client sent them; only the bulk cancel's is read here.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "string" }, (_request, body, done) => {
    done(null, body);
  });
  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
    const answer = error instanceof CallbackError ? error : fastifyError(error);
    if (answer.status >= 500) request.log.error({ err: error }, "Request failed");
    return sendError(reply, answer);
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(
      reply,
      new CallbackError(
        "CallbackExceptionNotFound",
        `No resource at ${request.method} ${request.url.slice(0, 200)} on the entry point: it answers only the paths that name no service; a service's own paths are routed to its Callback API.`,
      ),
    ),
  );
  app.addHook("onResponse", async (request, reply) => {
    request.log.info(
      {
        method: request.method,
        route: request.routeOptions.url ?? "unmatched",
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      "request completed",
    );
  });

  const owners = new OwnerCache(deps.ownerCacheSize ?? 10_000);
  const upstreams = (): readonly Upstream[] => deps.upstreams.current();

  const outgoing = (
    request: FastifyRequest,
    method: "GET" | "POST",
    path = request.url,
  ): Outgoing => ({
    method,
    path,
    authorization: request.headers.authorization,
    contentType: method === "POST" ? request.headers["content-type"] : undefined,
    host: request.headers.host,
    body: method === "POST" && typeof request.body === "string" ? request.body : undefined,
  });

  const requireAdmin = async (request: FastifyRequest): Promise<void> => {
    const password = deps.admin === undefined ? undefined : await deps.admin.password();
    if (deps.admin === undefined || password === undefined || password === "") {
      throw new CallbackError(
        "CallbackExceptionForbidden",
        "The admin API is disabled: start the entry point with --admin-username and --admin-password-file.",
      );
    }
    const admin: Credentials = { username: deps.admin.username, password };
    if (!matches(parseBasicAuth(request.headers.authorization), admin)) {
      throw new CallbackError(
        "CallbackExceptionUnauthorized",
        "Authentication required: wrong or missing admin credentials.",
      );
    }
  };

  /**
   * An admin request (the handler has checked its credentials) to every upstream: a 4xx about the
   * request is passed on; an upstream that failed or refused the admin credentials makes the whole
   * answer a 503 naming it, never a silently shorter list.
   */
  const adminFanOut = async (
    request: FastifyRequest,
    reply: FastifyReply,
    method: "GET" | "POST",
  ): Promise<Sorted["ok"] | undefined> => {
    const sorted = sortAnswers(await deps.forwarder.all(upstreams(), outgoing(request, method)));
    const first = sorted.rejected[0] ?? sorted.missing[0];
    if (first !== undefined) {
      await relay(reply, first);
      return undefined;
    }
    const failures = [
      ...sorted.failed,
      ...sorted.denied.map(
        (answer) =>
          `${answer.upstream.name} refused the admin credentials (${answer.status}): give it the entry point's admin credentials`,
      ),
    ];
    if (failures.length > 0) throw unavailable(failures);
    return sorted.ok;
  };

  const shapeFailure = (answer: { upstream: Upstream }): CallbackError =>
    unavailable([`${answer.upstream.name} answered a body of an unexpected shape`]);

  app.get("/healthz", () => ({ status: "ok" }));
  app.get("/readyz", async (_request, reply) =>
    (deps.ready ?? (() => true))()
      ? { status: "ready", upstreams: upstreams().length }
      : reply.code(503).send({ status: "discovering upstreams" }),
  );

  // The cross-service query (gms-reference.md §5): each service answers with what the caller's
  // credentials may see there (ADR 0050); those that refuse them are left out, as a service that
  // holds nothing for the caller. None accepting them is a 401, as one service would answer.
  app.get(`${SERVICE}/callback`, async (request, reply) => {
    const params = queryParams(request.query);
    const limit = positiveInt(params, "max", QUERY_LIMIT) ?? QUERY_LIMIT;
    const sorted = sortAnswers(await deps.forwarder.all(upstreams(), outgoing(request, "GET")));
    const first = sorted.rejected[0] ?? sorted.missing[0];
    if (first !== undefined) return relay(reply, first);
    if (sorted.failed.length > 0) throw unavailable(sorted.failed);
    if (sorted.ok.length === 0 && sorted.denied.length > 0) throw unauthorized();
    const lists: unknown[][] = [];
    for (const answer of sorted.ok) {
      const list = parsed(answer, isList);
      if (list === undefined) throw shapeFailure(answer);
      lists.push(list);
    }
    return mergeRecords(lists, limit);
  });

  app.get(`${ADMIN}/queues`, async (request, reply) => {
    await requireAdmin(request);
    const params = queryParams(request.query);
    const limit = positiveInt(params, "max", QUEUES_LIMIT) ?? QUERY_LIMIT;
    const ok = await adminFanOut(request, reply, "GET");
    if (ok === undefined) return reply;
    const maps: Record<string, unknown[]>[] = [];
    for (const answer of ok) {
      const map = parsed(answer, isObject<Record<string, unknown[]>>);
      if (map === undefined) throw shapeFailure(answer);
      maps.push(map);
    }
    return mergeQueues(maps, limit);
  });

  // Every upstream gets every id: only the owner's store holds it (or, on a shared store, the
  // first to cancel it), and the ids' owners are not known here.
  app.post(`${ADMIN}/cancel`, async (request, reply) => {
    await requireAdmin(request);
    const ok = await adminFanOut(request, reply, "POST");
    if (ok === undefined) return reply;
    // The upstreams accepted the body, so it is JSON with a list of ids.
    const body = parsed({ body: String(request.body) }, isObject<{ ids?: unknown }>);
    const ids = Array.isArray(body?.ids)
      ? body.ids.filter((id): id is string => typeof id === "string")
      : [];
    const results: CancelResult[] = [];
    for (const answer of ok) {
      const result = parsed(answer, isObject<CancelResult>);
      if (result === undefined) throw shapeFailure(answer);
      results.push(result);
    }
    return mergeCancel(ids, results);
  });

  app.get(`${ADMIN}/watermarks`, async (request, reply) => {
    await requireAdmin(request);
    // `service_name` may repeat: the same hygiene as the Callback API's, without queryParams.
    for (const [key, value] of Object.entries(request.query as Record<string, unknown>)) {
      checkKey(key);
      for (const item of Array.isArray(value) ? value : [value])
        if (typeof item === "string") checkText(key, item);
    }
    const ok = await adminFanOut(request, reply, "GET");
    if (ok === undefined) return reply;
    const answers: Watermarks[] = [];
    for (const answer of ok) {
      const marks = parsed(
        answer,
        (value): value is Watermarks =>
          isObject<{ services: unknown }>(value) && isObject(value.services),
      );
      if (marks === undefined) throw shapeFailure(answer);
      answers.push(marks);
    }
    return mergeWatermarks(answers);
  });

  app.get(`${ADMIN}/services`, async (request, reply) => {
    await requireAdmin(request);
    queryParams(request.query);
    const ok = await adminFanOut(request, reply, "GET");
    if (ok === undefined) return reply;
    const answers: { services: ServiceListing[] }[] = [];
    for (const answer of ok) {
      const listing = parsed(
        answer,
        (value): value is { services: ServiceListing[] } =>
          isObject<{ services: unknown }>(value) && Array.isArray(value.services),
      );
      if (listing === undefined) throw shapeFailure(answer);
      answers.push(listing);
    }
    return mergeServices(answers);
  });

  // The cancelled-callbacks export (gms-reference-2.md §7.2: a POST whose body names the reason and
  // the exported properties), as CSV: one header, then each service's lines.
  app.post(`${ADMIN}/reportcancelled`, async (request, reply) => {
    await requireAdmin(request);
    queryParams(request.query);
    const ok = await adminFanOut(request, reply, "POST");
    if (ok === undefined) return reply;
    return reply
      .type(ok[0]?.contentType ?? "text/csv; charset=utf-8")
      .send(mergeCsv(ok.map((answer) => answer.body)));
  });

  /**
   * The upstream that holds a callback: the cached one if it still answers for the id, else the
   * one whose check-queue-position (a read without side effects) does not answer 404. Any other
   * outcome is the answer to give instead.
   */
  const locate = async (
    request: FastifyRequest,
    id: string,
  ): Promise<
    | { owner: Upstream; answer: Extract<Answer, { kind: "answered" }> }
    | { answer: Answer | CallbackError }
  > => {
    const probe = outgoing(
      request,
      "GET",
      `${SERVICE}/${encodeURIComponent(id)}/check-queue-position`,
    );
    const cached = owners.get(id);
    const known = cached === undefined ? undefined : upstreams().find((u) => u.name === cached);
    if (known !== undefined) {
      const answer = await deps.forwarder.one(known, probe);
      // Only an answer about the callback itself confirms the owner; a refusal of the credentials,
      // a 404 or a failure sends the question to everyone, as if nothing were cached.
      if (
        answer.kind === "answered" &&
        answer.status < 500 &&
        ![401, 403, 404].includes(answer.status)
      )
        return { owner: known, answer };
      owners.forget(id);
    }
    const sorted = sortAnswers(await deps.forwarder.all(upstreams(), probe));
    const found = [...sorted.ok, ...sorted.rejected];
    const owner = found[0];
    if (owner !== undefined) {
      // Several upstreams with the same 4xx: the request itself is wrong, nobody owns it.
      if (found.length > 1) return { answer: owner };
      owners.set(id, owner.upstream.name);
      return { owner: owner.upstream, answer: owner };
    }
    if (sorted.failed.length > 0) return { answer: unavailable(sorted.failed) };
    // Not found where the credentials were accepted is not found (another service's id reads as
    // an unknown one, ADR 0050); a 401 only when no upstream accepted them at all.
    if (sorted.missing.length === 0 && sorted.denied.length > 0) return { answer: unauthorized() };
    return {
      answer: new CallbackError("CallbackExceptionNotFound", `Callback ${id} is not found.`),
    };
  };

  const answerWith = (reply: FastifyReply, answer: Answer | CallbackError): FastifyReply => {
    if (answer instanceof CallbackError) return sendError(reply, answer);
    if (answer.kind === "failed")
      return sendError(reply, unavailable([`${answer.upstream.name} ${answer.problem}`]));
    return relay(reply, answer);
  };

  // A service's own paths (`callback/{name}`…) are routed to its Callback API, never here; without
  // this they would read as the id `callback` with the action `{name}`.
  app.all(`${SERVICE}/callback/*`, (request, reply) =>
    sendError(
      reply,
      new CallbackError(
        "CallbackExceptionNotFound",
        `No resource at ${request.method} ${request.url.slice(0, 200)} on the entry point: a service's own paths are routed to its Callback API.`,
      ),
    ),
  );

  // The office-hours and capacity queries (`/genesys/1/service/{name}`, gms-reference-2.md §2.3,
  // §3): served by every Callback API whose service names that section, each with the same answer;
  // an office-hours service runs no API of its own, so on a cluster they arrive here.
  app.get<{ Params: { name: string } }>(`${SERVICE}/:name`, async (request, reply) => {
    checkPathParam("service name", request.params.name);
    queryParams(request.query);
    const sorted = sortAnswers(await deps.forwarder.all(upstreams(), outgoing(request, "GET")));
    const first = sorted.ok[0] ?? sorted.rejected[0];
    if (first !== undefined) return relay(reply, first);
    if (sorted.failed.length > 0) throw unavailable(sorted.failed);
    if (sorted.missing.length === 0 && sorted.denied.length > 0) throw unauthorized();
    throw new CallbackError(
      "CallbackExceptionNotFound",
      `Service ${JSON.stringify(request.params.name.slice(0, 128))} is not found: no service names it as its _business_hours_service or _capacity_service.`,
    );
  });

  // The phone-number validation API (gms-reference-2.md §7.1) names no service; every Callback API
  // answers it alike, so the first that accepts the caller's credentials answers (a number that
  // does not parse is its 400 with GMS's GSGException).
  app.get("/genesys/1/phonenumber", async (request, reply) => {
    queryParams(request.query);
    const sorted = sortAnswers(await deps.forwarder.all(upstreams(), outgoing(request, "GET")));
    const first = sorted.ok[0] ?? sorted.rejected[0];
    if (first !== undefined) return relay(reply, first);
    if (sorted.failed.length > 0) throw unavailable(sorted.failed);
    throw unauthorized();
  });

  // gms-reference-2.md §4.4: check-queue-position by `_id` alone; its answer is the owner's.
  app.get<{ Params: { id: string } }>(
    `${SERVICE}/:id/check-queue-position`,
    async (request, reply) => {
      const id = request.params.id;
      checkPathParam("callback id", id);
      const located = await locate(request, id);
      return answerWith(reply, located.answer);
    },
  );

  // The dialog continuation (gms-reference-2.md §4.3; gms-reference.md §5): GET from a push
  // message, POST from a DisplayMenu's `_user_action_url`. Either may book an access number, so
  // neither is sent to every upstream: the owner is found first, then asked alone.
  const continueDialog = async (
    request: FastifyRequest<{ Params: { id: string; action: string } }>,
    reply: FastifyReply,
    method: "GET" | "POST",
  ): Promise<FastifyReply> => {
    const { id, action } = request.params;
    checkPathParam("callback id", id);
    checkPathParam("dialog action", action);
    const located = await locate(request, id);
    if (!("owner" in located)) return answerWith(reply, located.answer);
    return answerWith(reply, await deps.forwarder.one(located.owner, outgoing(request, method)));
  };
  app.get<{ Params: { id: string; action: string } }>(`${SERVICE}/:id/:action`, (request, reply) =>
    continueDialog(request, reply, "GET"),
  );
  app.post<{ Params: { id: string; action: string } }>(`${SERVICE}/:id/:action`, (request, reply) =>
    continueDialog(request, reply, "POST"),
  );
  return app;
}

/** Fastify's own errors (size, content type, timeouts, bad URL) in GMS shape; never a 5xx. */
function fastifyError(error: Error & { statusCode?: number; code?: string }): CallbackError {
  const status = error.statusCode ?? 500;
  if (status >= 500)
    return new CallbackError("CallbackExceptionInternal", "Internal server error.");
  const message =
    error.code === "FST_ERR_CTP_BODY_TOO_LARGE" ? "The request body is too large." : error.message;
  return new CallbackError(errorNameForStatus(status), message.slice(0, 500));
}
