// GMS admin endpoints (Callback UI back end): callbacks by queue, bulk cancel, the cancelled-callbacks
// export, watermarks, and the service listing with `_service_groups`. `services` (names or group names, as a person's
// `gms/services` option in GMS) narrows every answer to those services.
import type { FastifyInstance } from "fastify";
import type { AppContext } from "../app-context.ts";
import { isCallbackReason } from "../callback-states.ts";
import { cancelledCsv, MAX_EXPORT_ROWS, parseReportRequest } from "../cancelled-report.ts";
import { badRequest, CallbackError } from "../errors.ts";
import { csv } from "../../api/gms-option-readers.ts";
import { toRecord } from "../record.ts";
import { checkKey, checkText, positiveInt, queryParams } from "../request-params.ts";
import { isCallbackState, type ServiceEntry } from "../store.ts";
import { parseIsoTime } from "../time.ts";
import { QUERY_LIMIT, recordContext, toFilters } from "./shared.ts";

const BASE = "/genesys/1/admin/callback";
const QUEUE_CONTROL_KEYS = new Set([
  "target",
  "start_time",
  "end_time",
  "max",
  "states",
  "services",
  "filter-keys",
]);
const MAX_BULK_IDS = 1000;

function timeOr(value: string | undefined, key: string, fallback: number): number {
  if (value === undefined || value === "") return fallback;
  const ms = parseIsoTime(value);
  if (ms === undefined)
    throw badRequest(`Invalid ${key} [${value.slice(0, 64)}]: expected an ISO-8601 UTC time.`);
  return ms;
}

function selected(service: ServiceEntry, selectors: readonly string[]): boolean {
  return (
    selectors.length === 0 ||
    selectors.includes(service.name) ||
    service.serviceGroups.some((group) => selectors.includes(group))
  );
}

export function registerAdminRoutes(app: FastifyInstance, context: AppContext): void {
  app.get(`${BASE}/queues`, async (request) => {
    await context.requireAdmin(request);
    const params = queryParams(request.query);
    const now = context.clock.now();
    const states = csv(params["states"]);
    const invalid = states.filter((state) => !isCallbackState(state));
    if (invalid.length > 0) throw badRequest(`Invalid states: ${invalid.join(",").slice(0, 128)}.`);
    const targets = csv(params["target"]);
    const selectors = csv(params["services"]);
    const services = (await context.store.listServices()).filter((service) =>
      selected(service, selectors),
    );
    // Targets and selectors both narrow: a target outside the selected services shows nothing.
    const allowed =
      selectors.length === 0 ? undefined : new Set(services.map((service) => service.name));
    const names =
      targets.length > 0
        ? targets.filter((name) => allowed?.has(name) ?? true)
        : services.map((s) => s.name);
    const rows =
      names.length === 0
        ? []
        : await context.store.adminQuery({
            selectors: names,
            from: timeOr(params["start_time"], "start_time", now - 15 * 60_000),
            to: timeOr(params["end_time"], "end_time", now + 86_400_000),
            states: states.filter(isCallbackState),
            filters: toFilters(params, QUEUE_CONTROL_KEYS, context.options()),
            limit: positiveInt(params, "max", 10 * QUERY_LIMIT) ?? QUERY_LIMIT,
          });
    const records = await recordContext(context, request);
    // Every asked-for service appears, even with no callbacks: GMS clients read the key as a list.
    const byService = Object.create(null) as Record<string, Record<string, string>[]>;
    for (const name of [...names].sort()) byService[name] = [];
    for (const row of rows) (byService[row.serviceName] ??= []).push(toRecord(row, records));
    return byService;
  });

  app.post(`${BASE}/cancel`, async (request) => {
    await context.requireAdmin(request);
    const body = request.body as { reason?: unknown; ids?: unknown } | undefined;
    const ids = body?.ids;
    if (
      !Array.isArray(ids) ||
      ids.length === 0 ||
      ids.length > MAX_BULK_IDS ||
      !ids.every((id) => typeof id === "string" && id.length <= 128)
    ) {
      throw badRequest(`ids must be a list of 1 to ${MAX_BULK_IDS} callback ids.`);
    }
    for (const id of ids as string[]) checkText("ids", id);
    const reason = body?.reason ?? "CANCELLED";
    if (typeof reason !== "string" || !isCallbackReason(reason)) {
      throw badRequest("reason must be upper-case letters, digits and _, such as CANCELLED.");
    }
    const result = {
      cancelled: [] as string[],
      not_found: [] as string[],
      already_completed: [] as string[],
    };
    for (const id of ids as string[]) {
      const row = await context.store.getById(id);
      if (row === undefined) {
        result.not_found.push(id);
        continue;
      }
      try {
        await context.callbacks.cancel(row.serviceName, id, reason);
        result.cancelled.push(id);
      } catch (error) {
        if (!(error instanceof CallbackError)) throw error;
        (error.exception === "CallbackExceptionNotFound"
          ? result.not_found
          : result.already_completed
        ).push(id);
      }
    }
    return result;
  });

  // The Callback UI's "Export cancelled" (gms-reference-2.md §1.4, §7.2; format: ADR 0104).
  app.post(`${BASE}/reportcancelled`, async (request, reply) => {
    await context.requireAdmin(request);
    const query = queryParams(request.query);
    const asked = parseReportRequest(request.body, query["services"]);
    const rows = await context.store.adminQuery({
      selectors: asked.selectors,
      from: asked.from,
      to: asked.to,
      states: ["COMPLETED"],
      filters: [{ key: "_callback_reason", value: asked.reason, negate: false }],
      limit: MAX_EXPORT_ROWS + 1,
    });
    if (rows.length > MAX_EXPORT_ROWS) {
      throw badRequest(
        `The export matches more than ${MAX_EXPORT_ROWS} callbacks (limit maxExportRows): narrow start_time and end_time, or services.`,
      );
    }
    const records = await recordContext(context, request);
    return reply
      .type("text/csv; charset=utf-8")
      .header("Content-Disposition", "attachment; filename=CancelledCallbacks.csv")
      .send(
        cancelledCsv(
          asked.columns,
          rows.map((row) => toRecord(row, records)),
        ),
      );
  });

  app.get(`${BASE}/watermarks`, async (request) => {
    await context.requireAdmin(request);
    const query = request.query as Record<string, unknown>;
    // `service_name` may repeat; every name and value passes the same hygiene as other parameters.
    for (const [key, value] of Object.entries(query)) {
      checkKey(key);
      for (const item of Array.isArray(value) ? value : [value])
        if (typeof item === "string") checkText(key, item);
    }
    const asked = query["service_name"];
    const names = (Array.isArray(asked) ? asked : asked === undefined ? [] : [asked]).filter(
      (name): name is string => typeof name === "string",
    );
    const selectors = csv(typeof query["services"] === "string" ? query["services"] : undefined);
    const counts = await context.store.queuedCounts();
    const known = (await context.store.listServices()).filter((service) =>
      selected(service, selectors),
    );
    const services = Object.create(null) as Record<string, number>;
    for (const name of names.length > 0 ? names : known.map((service) => service.name)) {
      if (selectors.length > 0 && !known.some((service) => service.name === name)) continue;
      services[name] = counts.get(name) ?? 0;
    }
    return { services, total: Object.values(services).reduce((sum, count) => sum + count, 0) };
  });

  app.get(`${BASE}/services`, async (request) => {
    await context.requireAdmin(request);
    const selectors = csv(queryParams(request.query)["services"]);
    const counts = await context.store.queuedCounts();
    const services = (await context.store.listServices()).filter((service) =>
      selected(service, selectors),
    );
    return {
      services: services.map((service) => ({
        name: service.name,
        _service_groups: service.serviceGroups.join(","),
        queued: counts.get(service.name) ?? 0,
      })),
    };
  });
}
