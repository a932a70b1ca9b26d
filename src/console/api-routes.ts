// The JSON API behind the page: services, callbacks, details, slots, actions, export and the
// audit log. Each route asks `caller` for the session and the person's grants first, and refuses
// (403, naming the service) any service the person may not see or act on, never a silent subset.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ConsoleDeps, Caller } from "./app.ts";
import type { ConsoleService } from "./cluster.ts";
import { ConsoleError, forbidden, invalid, notFound } from "./errors.ts";
import {
  columnsOf,
  itemsCsv,
  MAX_CSV_ROWS,
  parseListQuery,
  sortItems,
  toItem,
  type Item,
  type ListQuery,
} from "./listing.ts";
import type { ConsoleAction } from "./permissions.ts";
import { MAX_RECORDS_PER_SERVICE, openStates, type GmsRecord } from "./upstream.ts";

export interface RouteDeps extends ConsoleDeps {
  readonly caller: (request: FastifyRequest, reply: FastifyReply) => Caller;
}

interface ServiceParams {
  readonly namespace: string;
  readonly name: string;
}
interface CallbackParams extends ServiceParams {
  readonly id: string;
}

const MAX_BULK = 250;
const idPattern = /^[A-Za-z0-9_-]{1,128}$/;
const namespacePattern = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const namePattern = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** The service a person may act on with `action`, or a 403 naming it (also when it does not exist). */
function allowed(caller: Caller, key: string, action: ConsoleAction): ConsoleService {
  const grant = caller.grants.get(key);
  const service = caller.services.get(key);
  if (grant === undefined || service === undefined)
    throw forbidden(
      `Service ${key.slice(0, 130)} is not shared with you: ask an administrator for a ConsolePermission`,
    );
  if (!grant.actions.includes(action))
    throw forbidden(
      `Your role ${grant.role} on service ${key} does not allow ${action}: ask for Supervisor`,
    );
  return service;
}

function serviceKeyOf(params: ServiceParams): string {
  if (!namespacePattern.test(params.namespace) || params.namespace.length > 63)
    throw invalid(`namespace "${params.namespace.slice(0, 64)}" is not a namespace name`);
  if (!namePattern.test(params.name) || params.name.length > 63)
    throw invalid(`service "${params.name.slice(0, 64)}" is not a CallbackService name`);
  return `${params.namespace}/${params.name}`;
}

function checkId(id: unknown, field = "id"): string {
  if (typeof id !== "string" || !idPattern.test(id))
    throw invalid(`${field} must be a callback id (letters, digits, '-' or '_', at most 128)`);
  return id;
}

function details(service: string, record: GmsRecord) {
  const item = toItem(service, record);
  return {
    service,
    id: item.id,
    state: item.state,
    desiredTime: item.desiredTime,
    customerNumber: item.customerNumber,
    reason: item.reason,
    record,
  };
}

export function registerApiRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const { apis, audit } = deps;

  /** The services a listing covers: those asked for (each must allow `action`), else every one that does. */
  const listed = (caller: Caller, query: ListQuery, action: ConsoleAction): ConsoleService[] => {
    let services =
      query.services.length > 0
        ? query.services.map((key) => allowed(caller, key, action))
        : [...caller.grants]
            .filter(([, grant]) => grant.actions.includes(action))
            .map(([key]) => caller.services.get(key))
            .filter((service): service is ConsoleService => service !== undefined);
    if (query.services.length === 0 && action !== "view" && services.length === 0)
      throw forbidden(`No service allows you to ${action}: ask for Supervisor`);
    if (query.group !== undefined) {
      const group = query.group;
      services = services.filter((service) => service.groups.includes(group));
    }
    return services;
  };

  const fetchItems = async (
    services: readonly ConsoleService[],
    query: ListQuery,
  ): Promise<Item[]> => {
    const lists = await Promise.all(
      services.map(async (service) => {
        const key = `${service.namespace}/${service.name}`;
        const { records, complete } = await apis.queue(service, {
          from: query.from,
          to: query.to,
          states: query.states,
          ...(query.customerNumber === undefined ? {} : { customerNumber: query.customerNumber }),
        });
        // A page or an export of a cut list would be wrong without saying so.
        if (!complete)
          throw invalid(
            `Service ${key} has ${MAX_RECORDS_PER_SERVICE} or more callbacks in this window: narrow from and to, state or customerNumber`,
          );
        return records.map((record) => toItem(key, record));
      }),
    );
    return sortItems(lists.flat(), query.sort, query.order);
  };

  app.get("/api/services", async (request, reply) => {
    const caller = deps.caller(request, reply);
    const services = [...caller.grants].flatMap(([key, grant]) => {
      const service = caller.services.get(key);
      return service === undefined ? [] : [{ service, grant }];
    });
    const rows = await Promise.all(
      services.map(async ({ service, grant }) => {
        const base = {
          namespace: service.namespace,
          name: service.name,
          groups: service.groups,
          role: grant.role,
          actions: grant.actions,
          ready: service.ready,
          columns: columnsOf([service.aliases], []),
        };
        try {
          return { ...base, counts: await apis.counts(service) };
        } catch (error) {
          // One unreachable service must not hide the others: its row says why it has no counts.
          const zero = Object.fromEntries(openStates.map((state) => [state, 0]));
          return { ...base, ready: false, counts: zero, problem: (error as Error).message };
        }
      }),
    );
    const groups = [...new Set(services.flatMap(({ service }) => service.groups))].sort();
    return { services: rows, groups };
  });

  app.get("/api/callbacks", async (request, reply) => {
    const caller = deps.caller(request, reply);
    const query = parseListQuery(request.query as Record<string, unknown>, deps.clock.now());
    const services = listed(caller, query, "view");
    const items = await fetchItems(services, query);
    const start = (query.page - 1) * query.pageSize;
    return {
      items: items.slice(start, start + query.pageSize),
      total: items.length,
      page: query.page,
      pageSize: query.pageSize,
      columns: columnsOf(
        services.map((service) => service.aliases),
        items,
      ),
    };
  });

  app.get("/api/callbacks.csv", async (request, reply) => {
    const caller = deps.caller(request, reply);
    const query = parseListQuery(request.query as Record<string, unknown>, deps.clock.now());
    const services = listed(caller, query, "export");
    const items = await fetchItems(services, query);
    if (items.length > MAX_CSV_ROWS)
      throw invalid(
        `The export matches ${items.length} callbacks, more than ${MAX_CSV_ROWS}: narrow from and to, state or service`,
      );
    const columns = columnsOf(
      services.map((service) => service.aliases),
      items,
    );
    for (const service of services) {
      const key = `${service.namespace}/${service.name}`;
      const ids = items.filter((item) => item.service === key).map((item) => item.id);
      await audit.record(
        caller.session.person.username,
        "export",
        service,
        ids,
        `${ids.length} exported`,
      );
    }
    return reply
      .type("text/csv; charset=utf-8")
      .header("content-disposition", "attachment; filename=callbacks.csv")
      .send(itemsCsv(items, columns));
  });

  app.get<{ Params: CallbackParams }>(
    "/api/callbacks/:namespace/:name/:id",
    async (request, reply) => {
      const caller = deps.caller(request, reply);
      const key = serviceKeyOf(request.params);
      const service = allowed(caller, key, "view");
      const record = await apis.record(service, checkId(request.params.id));
      if (record === undefined)
        throw notFound(`Service ${key} has no callback ${request.params.id}`);
      return details(key, record);
    },
  );

  app.get<{ Params: CallbackParams; Querystring: { date?: unknown } }>(
    "/api/callbacks/:namespace/:name/:id/slots",
    async (request, reply) => {
      const caller = deps.caller(request, reply);
      const key = serviceKeyOf(request.params);
      const service = allowed(caller, key, "view");
      checkId(request.params.id);
      const date = request.query.date ?? new Date(deps.clock.now()).toISOString().slice(0, 10);
      const from =
        typeof date === "string" && /^\d{4}-\d{2}-\d{2}$/.test(date)
          ? Date.parse(`${date}T00:00:00.000Z`)
          : Number.NaN;
      if (Number.isNaN(from)) throw invalid("date must be a day, YYYY-MM-DD, such as 2030-03-04");
      return { slots: await apis.slots(service, from, from + 86_400_000) };
    },
  );

  app.post<{ Params: CallbackParams }>(
    "/api/callbacks/:namespace/:name/:id/cancel",
    async (request, reply) => {
      const caller = deps.caller(request, reply);
      const key = serviceKeyOf(request.params);
      const service = allowed(caller, key, "cancel");
      const id = checkId(request.params.id);
      const user = caller.session.person.username;
      const record = await apis.record(service, id);
      if (record === undefined) throw notFound(`Service ${key} has no callback ${id}`);
      if (record["_callback_state"] === "PROCESSING")
        throw new ConsoleError(
          409,
          "conflict",
          `Callback ${id} is PROCESSING (an agent has it) and cannot be cancelled`,
        );
      if (record["_callback_state"] === "COMPLETED") {
        await audit.record(user, "cancel", service, [id], "already_completed");
        return { result: "already_completed" };
      }
      const result = await apis.cancel(service, id);
      await audit.record(user, "cancel", service, [id], result);
      if (result === "not_found") throw notFound(`Service ${key} has no callback ${id}`);
      return { result };
    },
  );

  app.post<{ Params: CallbackParams }>(
    "/api/callbacks/:namespace/:name/:id/reschedule",
    async (request, reply) => {
      const caller = deps.caller(request, reply);
      const key = serviceKeyOf(request.params);
      const service = allowed(caller, key, "reschedule");
      const id = checkId(request.params.id);
      const desired = (request.body as { desiredTime?: unknown } | undefined)?.desiredTime;
      const ms =
        typeof desired === "string" && /^\d{4}-\d{2}-\d{2}T/.test(desired)
          ? Date.parse(desired)
          : Number.NaN;
      if (Number.isNaN(ms))
        throw invalid("desiredTime must be an ISO 8601 time, one of the slots of GET …/slots");
      const record = await apis.record(service, id);
      if (record === undefined) throw notFound(`Service ${key} has no callback ${id}`);
      const time = new Date(ms).toISOString();
      const day = Date.parse(`${time.slice(0, 10)}T00:00:00.000Z`);
      const slots = await apis.slots(service, day, day + 86_400_000);
      if (!slots.includes(time))
        throw invalid(
          `desiredTime ${time} is not a slot service ${key} offers: pick one of GET /api/callbacks/${key}/${id}/slots?date=${time.slice(0, 10)}`,
        );
      await apis.reschedule(service, id, time);
      await audit.record(caller.session.person.username, "reschedule", service, [id], `to ${time}`);
      const after = await apis.record(service, id);
      if (after === undefined) throw notFound(`Service ${key} has no callback ${id}`);
      return details(key, after);
    },
  );

  app.post("/api/callbacks/cancel", async (request, reply) => {
    const caller = deps.caller(request, reply);
    const items = (request.body as { items?: unknown } | undefined)?.items;
    if (!Array.isArray(items) || items.length === 0 || items.length > MAX_BULK)
      throw invalid(
        `items must be a list of 1 to ${MAX_BULK} { "service": "<namespace>/<name>", "id" }`,
      );
    const asked = items.map((item: unknown, index) => {
      const { service, id } = (item ?? {}) as { service?: unknown; id?: unknown };
      if (typeof service !== "string" || !service.includes("/"))
        throw invalid(`items[${index}].service must be "<namespace>/<name>"`);
      return { service, id: checkId(id, `items[${index}].id`) };
    });
    // Every item is checked before anything changes: one outside the person's permissions refuses all.
    const targets = asked.map((item) => ({
      ...item,
      target: allowed(caller, item.service, "cancel"),
    }));
    const result = {
      cancelled: [] as { service: string; id: string }[],
      already_completed: [] as { service: string; id: string }[],
      not_found: [] as { service: string; id: string }[],
      conflict: [] as { service: string; id: string }[],
      forbidden: [] as { service: string; id: string }[],
    };
    for (const { service, id, target } of targets) {
      const record = await apis.record(target, id);
      const entry = { service, id };
      if (record === undefined) result.not_found.push(entry);
      else if (record["_callback_state"] === "PROCESSING") result.conflict.push(entry);
      else if (record["_callback_state"] === "COMPLETED") result.already_completed.push(entry);
      else result[await apis.cancel(target, id)].push(entry);
    }
    const user = caller.session.person.username;
    for (const service of new Set(targets.map((t) => t.target))) {
      const key = `${service.namespace}/${service.name}`;
      const ids = result.cancelled
        .filter((entry) => entry.service === key)
        .map((entry) => entry.id);
      await audit.record(user, "bulkCancel", service, ids, `${ids.length} cancelled`);
    }
    return result;
  });

  app.get("/api/audit", (request, reply) => {
    const caller = deps.caller(request, reply);
    const administered = new Set(
      [...caller.grants].filter(([, grant]) => grant.role === "Administrator").map(([key]) => key),
    );
    if (administered.size === 0)
      throw forbidden(
        "The audit log is for Administrators: ask for a ConsolePermission with role Administrator",
      );
    return { entries: audit.entries((service) => administered.has(service)) };
  });
}
