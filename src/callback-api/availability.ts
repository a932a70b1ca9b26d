// Scheduled-callback capacity per time bucket: `_request_time_bucket` minutes long, at most
// `_max_request_by_time_bucket` scheduled callbacks each. Availability = what is left per bucket.
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

export async function computeSlots(
  store: StoreQueries,
  options: ServiceOptions,
  window: SlotWindow,
  now: number,
): Promise<Slot[]> {
  const bucketMs = options._request_time_bucket * 60_000;
  // Slots start on bucket boundaries; one already begun is no longer offered.
  const first = Math.max(bucketStart(Math.max(window.from, now) + bucketMs - 1, bucketMs), 0);
  const last = Math.min(window.to, now + options._reject_future_desired_time);
  if (last < first) return [];
  const counts = await store.countByBucket(options.serviceName, first, last + bucketMs, bucketMs);
  const slots: Slot[] = [];
  for (let start = first; start <= last && slots.length < MAX_SLOTS; start += bucketMs) {
    const used = counts.get(start) ?? 0;
    slots.push({
      start,
      free: Math.max(0, options._max_request_by_time_bucket - used),
      total: options._max_request_by_time_bucket,
    });
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
