// GMS callback endpoints of one service: start, query, cancel, reschedule/update.
import type { FastifyInstance } from "fastify";
import type { AppContext } from "../app-context.ts";
import { CallbackError } from "../errors.ts";
import { toRecord } from "../record.ts";
import { own, positiveInt, queryParams, toParams } from "../request-params.ts";
import {
  QUERY_LIMIT,
  checkId,
  checkServiceName,
  recordContext,
  toFilters,
  toOperand,
  type NameIdParams,
  type NameParams,
} from "./shared.ts";

const BASE = "/genesys/1/service/callback";
const QUERY_CONTROL_KEYS = new Set(["operand", "max"]);

export function registerServiceRoutes(app: FastifyInstance, context: AppContext): void {
  app.post<{ Params: NameParams }>(`${BASE}/:name`, async (request, reply) => {
    checkServiceName(context, request.params.name);
    await context.requireService(request);
    try {
      const { row, dialog } = await context.callbacks.start(
        toParams(request.body),
        request.headers,
      );
      context.metrics.callbacksCreated.inc({ kind: row.scheduled ? "scheduled" : "immediate" });
      if (row.state === "QUEUED") context.onCallbackDue();
      return await reply.code(200).send(dialog);
    } catch (error) {
      if (error instanceof CallbackError)
        context.metrics.callbacksRejected.inc({ exception: error.exception });
      throw error;
    }
  });

  const query = async (request: { query: unknown }, serviceNames: string[] | undefined) => {
    const params = queryParams(request.query);
    const rows = await context.store.query({
      serviceNames,
      filters: toFilters(params, QUERY_CONTROL_KEYS, context.options()),
      operand: toOperand(own(params, "operand")),
      limit: positiveInt(params, "max", QUERY_LIMIT) ?? QUERY_LIMIT,
    });
    return rows;
  };

  app.get<{ Params: NameParams }>(`${BASE}/:name`, async (request) => {
    checkServiceName(context, request.params.name);
    await context.requireService(request);
    const rows = await query(request, [context.serviceName]);
    const records = await recordContext(context, request);
    return rows.map((row) => toRecord(row, records));
  });

  // By `_id` or by properties, across the services whose records the caller may see: this
  // service's for its own credentials (or none, when it has none), every service's in the store for
  // the admin's. Another service's records are simply not there, as an unknown id is not.
  app.get(BASE, async (request) => {
    const scope = await context.requireService(request);
    const rows = await query(request, scope === "admin" ? undefined : [context.serviceName]);
    const records = await recordContext(context, request);
    return rows.map((row) => toRecord(row, records));
  });

  app.delete<{ Params: NameIdParams }>(`${BASE}/:name/:id`, async (request, reply) => {
    checkServiceName(context, request.params.name);
    await context.requireService(request);
    // `discard_ors_failure` is accepted and has nothing to discard: no ORS session is held open.
    queryParams(request.query);
    await context.callbacks.cancel(context.serviceName, checkId(request.params.id));
    return reply.code(200).send();
  });

  app.put<{ Params: NameIdParams }>(`${BASE}/:name/:id`, async (request, reply) => {
    checkServiceName(context, request.params.name);
    await context.requireService(request);
    const row = await context.callbacks.update(
      context.serviceName,
      checkId(request.params.id),
      toParams(request.body),
    );
    if (row.state === "QUEUED") context.onCallbackDue();
    return reply.code(200).send();
  });
}
