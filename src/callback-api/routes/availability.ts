// Availability v1 (`{ "<ISO slot>": free }`) and v2 (`{durationMin, timezone, slots[]}`).
import type { FastifyInstance } from "fastify";
import type { AppContext } from "../app-context.ts";
import { MAX_SLOTS, computeSlots, toAvailabilityV1, type SlotWindow } from "../availability.ts";
import { badRequest } from "../errors.ts";
import { positiveInt, queryParams, type Params } from "../request-params.ts";
import { formatIsoTime, formatLocalTime, isValidTimeZone, parseIsoTime } from "../time.ts";
import { checkServiceName, type NameParams } from "./shared.ts";

const DAY_MS = 86_400_000;

function timeParam(params: Params, isoKey: string, msKey: string | undefined): number | undefined {
  const ms = msKey === undefined ? undefined : params[msKey];
  if (ms !== undefined && ms !== "") {
    if (!/^\d{1,15}$/.test(ms))
      throw badRequest(
        `Invalid ${msKey ?? ""} [${ms.slice(0, 64)}]: expected milliseconds since the epoch.`,
      );
    return Number(ms);
  }
  const iso = params[isoKey];
  if (iso === undefined || iso === "") return undefined;
  const parsed = parseIsoTime(iso);
  if (parsed === undefined)
    throw badRequest(`Invalid ${isoKey} [${iso.slice(0, 64)}]: expected an ISO-8601 UTC time.`);
  return parsed;
}

function slotWindow(params: Params, now: number, v2: boolean): SlotWindow & { maxSlots: number } {
  const from = timeParam(params, "start", v2 ? "start-ms" : undefined) ?? now;
  const days = positiveInt(params, "number-of-days", 366) ?? 1;
  const to = timeParam(params, "end", v2 ? "end-ms" : undefined) ?? from + days * DAY_MS;
  if (to < from) throw badRequest("Invalid availability window: end is before start.");
  return { from, to, maxSlots: positiveInt(params, "max-time-slots", MAX_SLOTS) ?? MAX_SLOTS };
}

export function registerAvailabilityRoutes(app: FastifyInstance, context: AppContext): void {
  app.get<{ Params: NameParams }>(
    "/genesys/1/service/callback/:name/availability",
    async (request) => {
      checkServiceName(context, request.params.name);
      await context.requireService(request);
      const now = context.clock.now();
      const window = slotWindow(queryParams(request.query), now, false);
      return toAvailabilityV1(
        await computeSlots(context.store, context.options(), context.linked(), window, now),
        window.maxSlots,
      );
    },
  );

  app.get<{ Params: NameParams }>(
    "/genesys/2/service/callback/:name/availability",
    async (request) => {
      checkServiceName(context, request.params.name);
      await context.requireService(request);
      const params = queryParams(request.query);
      const now = context.clock.now();
      const window = slotWindow(params, now, true);
      const timezone = params["timezone"] ?? "UTC";
      if (!isValidTimeZone(timezone))
        throw badRequest(
          `Invalid timezone [${timezone.slice(0, 64)}]: expected an IANA zone such as Europe/Paris.`,
        );
      const reportBusy = (params["report-busy"] ?? "false").toLowerCase();
      if (reportBusy !== "true" && reportBusy !== "false")
        throw badRequest("Invalid report-busy: expected true or false.");
      const options = context.options();
      const slots = await computeSlots(context.store, options, context.linked(), window, now);
      return {
        durationMin: options._request_time_bucket,
        timezone,
        slots: slots
          .filter((slot) => reportBusy === "true" || slot.free > 0)
          .slice(0, window.maxSlots)
          .map((slot) => ({
            utcTime: formatIsoTime(slot.start),
            localTime: formatLocalTime(slot.start, timezone),
            capacity: slot.free,
            total: slot.total,
          })),
      };
    },
  );
}
