import type { FastifyRequest } from "fastify";
import type { AppContext } from "../app-context.ts";
import { badRequest, notFound } from "../errors.ts";
import type { RecordContext } from "../record.ts";
import type { ServiceOptions } from "../options.ts";
import { customerNumberForQuery } from "../phone.ts";
import { LIMITS, checkPathParam, type Params } from "../request-params.ts";
import type { PropertyFilter } from "../store.ts";

export interface NameParams {
  name: string;
}

export interface NameIdParams {
  name: string;
  id: string;
}

/** This server answers for one service; any other name in a path is not here. */
export function checkServiceName(context: AppContext, name: string): void {
  if (name !== context.serviceName)
    throw notFound(`Service ${JSON.stringify(name.slice(0, 128).toWellFormed())} is not found.`);
}

/** A callback id from a path: plain text (no control character, valid Unicode), as any value. */
export function checkId(id: string): string {
  checkPathParam("callback id", id);
  return id;
}

/**
 * GMS property filters: `key=value`, or `key=!value` for "not equal"; at most LIMITS.maxFilters. A
 * `_customer_number` is compared in the E.164 form records hold, so any format of a number finds it.
 */
export function toFilters(
  params: Params,
  exclude: ReadonlySet<string>,
  options: ServiceOptions,
): PropertyFilter[] {
  const entries = Object.entries(params).filter(([key]) => !exclude.has(key));
  if (entries.length > LIMITS.maxFilters) {
    throw badRequest(
      `The query has ${entries.length} filters; at most ${LIMITS.maxFilters} are accepted (limit maxFilters).`,
    );
  }
  return entries.map(([key, text]) => {
    const negate = text.startsWith("!");
    const value = negate ? text.slice(1) : text;
    return {
      key,
      value: key === "_customer_number" ? customerNumberForQuery(value, options) : value,
      negate,
    };
  });
}

export function toOperand(value: string | undefined): "AND" | "OR" {
  if (value === undefined || value === "") return "AND";
  const upper = value.toUpperCase();
  if (upper === "AND" || upper === "OR") return upper;
  throw badRequest(`Invalid operand [${value.slice(0, 32)}]: expected AND or OR.`);
}

export async function recordContext(
  context: AppContext,
  request: FastifyRequest,
): Promise<RecordContext> {
  const services = await context.store.listServices();
  const groups = new Map(services.map((service) => [service.name, service.serviceGroups]));
  return { origin: context.origin(request), groupsOf: (name) => groups.get(name) };
}

/** Default and ceiling of records one query returns. */
export const QUERY_LIMIT = 1000;
