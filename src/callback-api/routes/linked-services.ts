// The query APIs of the office-hours and capacity services a callback service names, served by its
// Callback API (the only server that mounts their sections):
// - Calendar Service API (gms-reference-2.md §2.2): `GET /genesys/1/service/{office-hours}` with
//   `start`, `end`, `number-of-days`; an empty period list means closed.
// - Capacity API (§3): `GET /genesys/1/service/{capacity}?start=&end=&timezone=`, local times.
// GMS does not document either answer's JSON; the shapes are ours (docs/callback-api.md).
import type { FastifyInstance } from "fastify";
import type { AppContext } from "../app-context.ts";
import { capacityAt, type Capacity } from "../capacity.ts";
import { badRequest, notFound } from "../errors.ts";
import { usable } from "../linked-services.ts";
import { openPeriods, type OfficeHours } from "../office-hours.ts";
import { checkPathParam, positiveInt, queryParams, type Params } from "../request-params.ts";
import { formatIsoTime, formatLocalTime, parseIsoTime } from "../time.ts";
import { instantsAt, isKnownZone, localTime } from "../zoned-time.ts";
import type { NameParams } from "./shared.ts";

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const MAX_DAYS = 366;

function isoParam(params: Params, key: string): number | undefined {
  const text = params[key];
  if (text === undefined || text === "") return undefined;
  const ms = parseIsoTime(text);
  if (ms === undefined)
    throw badRequest(
      `Invalid ${key} [${text.slice(0, 64)}]: expected an ISO-8601 UTC time such as 2030-03-04T09:00:00Z.`,
    );
  return ms;
}

/**
 * Open periods from `start` (default now) to `end`, or `number-of-days` after `start`. With
 * neither, "is it open at `start`?": the period holding `start`, up to a day long, or none.
 */
function calendar(hours: OfficeHours, params: Params, now: number): object {
  const start = isoParam(params, "start") ?? now;
  const days = positiveInt(params, "number-of-days", MAX_DAYS);
  const end = isoParam(params, "end") ?? (days === undefined ? start : start + days * DAY_MS);
  if (end < start) throw badRequest("Invalid office-hours window: end is before start.");
  if (end - start > MAX_DAYS * DAY_MS)
    throw badRequest(`Invalid office-hours window: at most ${MAX_DAYS} days.`);
  const periods =
    end === start
      ? openPeriods(hours, start, start + DAY_MS).filter((p) => p.start === start)
      : openPeriods(hours, start, end);
  return {
    error: null,
    timezone: hours.timezone,
    periods: periods.map((p) => ({ start: formatIsoTime(p.start), end: formatIsoTime(p.end) })),
  };
}

/** `2015-03-17T09:15:00.000` in `zone` (an instant with Z or an offset is taken as it is). */
function localParam(params: Params, key: string, zone: string): number {
  const text = params[key];
  if (text === undefined || text === "") {
    throw badRequest(`Missing ${key}: the capacity query needs start and end.`);
  }
  const instant = parseIsoTime(text);
  if (instant !== undefined) return instant;
  const wall = parseIsoTime(`${text}Z`);
  if (wall === undefined) {
    throw badRequest(
      `Invalid ${key} [${text.slice(0, 64)}]: expected a local time such as 2030-03-17T09:15:00.000.`,
    );
  }
  // In a gap (clocks going forward) the wall time first shown after it.
  return instantsAt(wall, zone)[0] ?? wall;
}

/** Hourly periods from `start` to `end` with the capacity of each `_request_time_bucket` slot. */
function capacities(capacity: Capacity, params: Params): object {
  const zone = params["timezone"] ?? capacity.timezone;
  if (!isKnownZone(zone))
    throw badRequest(
      `Invalid timezone [${zone.slice(0, 64)}]: expected an IANA zone such as Europe/Paris.`,
    );
  const start = localParam(params, "start", zone);
  const end = localParam(params, "end", zone);
  if (end < start) throw badRequest("Invalid capacity window: end is before start.");
  if (end - start > MAX_DAYS * DAY_MS)
    throw badRequest(`Invalid capacity window: at most ${MAX_DAYS} days.`);
  const periods: { start: string; end: string; capacity: number }[] = [];
  for (let t = start; t < end;) {
    const local = localTime(t, capacity.timezone);
    // The next hour of the capacity service's clock, or the window's end.
    const next = Math.min(
      end,
      t - (local.minute * 60 + local.second) * 1000 - (t % 1000) + HOUR_MS,
    );
    periods.push({
      start: formatLocalTime(t, zone),
      end: formatLocalTime(next, zone),
      capacity: capacityAt(capacity, t),
    });
    t = next;
  }
  return { timezone: zone, periods };
}

export function registerLinkedServiceRoutes(app: FastifyInstance, context: AppContext): void {
  app.get<{ Params: NameParams }>("/genesys/1/service/:name", async (request) => {
    const { name } = request.params;
    checkPathParam("service name", name);
    await context.requireService(request);
    const params = queryParams(request.query);
    const linked = context.linked();
    if (linked.officeHours?.name === name) {
      const hours = usable(linked.officeHours);
      if (hours !== undefined) return calendar(hours, params, context.clock.now());
    }
    if (linked.capacity?.name === name) {
      const capacity = usable(linked.capacity);
      if (capacity !== undefined) return capacities(capacity, params);
    }
    throw notFound(
      `Service ${JSON.stringify(name.slice(0, 128).toWellFormed())} is not found: this Callback API answers for the office-hours and capacity services that ${context.serviceName}'s _business_hours_service and _capacity_service name.`,
    );
  });
}
