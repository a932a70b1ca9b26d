import type { FastifyRequest } from "fastify";
import type { AppContext } from "../app.ts";
import { badRequest, notFound } from "../errors.ts";
import type { RecordContext } from "../record.ts";
import type { Params } from "../request-params.ts";
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
  if (name !== context.serviceName) throw notFound(`Service ${name.slice(0, 128)} is not found.`);
}

/** GMS property filters: `key=value`, or `key=!value` for "not equal". */
export function toFilters(params: Params, exclude: ReadonlySet<string>): PropertyFilter[] {
  return Object.entries(params)
    .filter(([key]) => !exclude.has(key))
    .map(([key, value]) =>
      value.startsWith("!")
        ? { key, value: value.slice(1), negate: true }
        : { key, value, negate: false },
    );
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
  return { origin: `${request.protocol}://${request.host}`, groupsOf: (name) => groups.get(name) };
}

/** Default and ceiling of records one query returns. */
export const QUERY_LIMIT = 1000;
