// Scheduled-callback capacity per time bucket: `_request_time_bucket` minutes long, each holding at
// most `_max_request_by_time_bucket` scheduled callbacks, or, with a `_capacity_service`, the
// capacity of the slot's local hour (gms-reference-2.md §3). With a `_business_hours_service` only
// buckets that lie wholly inside office hours are offered (§2.3). Availability = what is left.
import { capacityAt } from "./capacity.ts";
import { usable, type LinkedServices } from "./linked-services.ts";
import { openPeriods, type Period } from "./office-hours.ts";
import type { ServiceOptions } from "./options.ts";
import type { StoreQueries } from "./store.ts";
import { bucketStart } from "./time.ts";

/** Hard cap on slots per answer, whatever the client asks, to bound work and response size. */
export const MAX_SLOTS = 2000;

export interface Slot {
  readonly start: number;
  readonly free: number;
  readonly total: number;
}

export interface SlotWindow {
  readonly from: number;
  readonly to: number;
}

/** How many callbacks a bucket holds, and whether it is offered at all. */
interface SlotRules {
  readonly limit: (start: number) => number;
  readonly offered: (start: number, end: number) => boolean;
}

/** Callbacks the bucket starting at `start` holds (throws the 400 of an unusable capacity service). */
export function slotLimit(options: ServiceOptions, linked: LinkedServices, start: number): number {
  const capacity = usable(linked.capacity);
  return capacity === undefined ? options._max_request_by_time_bucket : capacityAt(capacity, start);
}

/** The rules of the buckets within `window` (throws the 400 of a named service that is unusable). */
function slotRules(options: ServiceOptions, linked: LinkedServices, window: SlotWindow): SlotRules {
  const hours = usable(linked.officeHours);
  // An unusable capacity service refuses the whole answer, not slot by slot.
  usable(linked.capacity);
  const bucketMs = options._request_time_bucket * 60_000;
  const periods =
    hours === undefined ? undefined : openPeriods(hours, window.from, window.to + bucketMs);
  return {
    limit: (start) => slotLimit(options, linked, start),
    offered: (start, end) => periods === undefined || within(periods, start, end),
  };
}

/** Does one of the sorted, disjoint `periods` hold [start, end)? */
function within(periods: readonly Period[], start: number, end: number): boolean {
  // The last period starting at or before `start`, by bisection (a year of slots meets many periods).
  let [lo, hi] = [0, periods.length];
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((periods[mid]?.start ?? Infinity) <= start) lo = mid + 1;
    else hi = mid;
  }
  const period = periods[lo - 1];
  return period !== undefined && end <= period.end;
}

export async function computeSlots(
  store: StoreQueries,
  options: ServiceOptions,
  linked: LinkedServices,
  window: SlotWindow,
  now: number,
): Promise<Slot[]> {
  const bucketMs = options._request_time_bucket * 60_000;
  // Slots start on bucket boundaries; one already begun is no longer offered.
  const first = Math.max(bucketStart(Math.max(window.from, now) + bucketMs - 1, bucketMs), 0);
  const last = Math.min(window.to, now + options._reject_future_desired_time);
  const rules = slotRules(options, linked, { from: first, to: Math.max(first, last) });
  if (last < first) return [];
  const counts = await store.countByBucket(options.serviceName, first, last + bucketMs, bucketMs);
  const slots: Slot[] = [];
  for (let start = first; start <= last && slots.length < MAX_SLOTS; start += bucketMs) {
    if (!rules.offered(start, start + bucketMs)) continue;
    const used = counts.get(start) ?? 0;
    const total = rules.limit(start);
    slots.push({ start, free: Math.max(0, total - used), total });
  }
  return slots;
}

/** GMS v1 shape: `{ "<ISO slot start>": <free>, ... }`: the first `maxSlots` slots with room. */
export function toAvailabilityV1(slots: readonly Slot[], maxSlots: number): Record<string, number> {
  const result: Record<string, number> = {};
  for (const slot of slots.filter((s) => s.free > 0).slice(0, maxSlots)) {
    result[new Date(slot.start).toISOString()] = slot.free;
  }
  return result;
}
