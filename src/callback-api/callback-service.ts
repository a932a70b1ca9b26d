// The GMS rules for starting, cancelling and rescheduling a callback. Rules that count rows run in
// one transaction under the locks of what they count (the service's rate: its rate lanes, ADR
// 0120), together with the write they guard.
import { randomUUID } from "node:crypto";
import {
  bookingProperties,
  dialNumberDialog,
  dialsAtStart,
  prepareBooking,
  type PreparedBooking,
} from "./access-numbers.ts";
import { computeSlots, slotLimit, toAvailabilityV1 } from "./availability.ts";
import type { Clock } from "../runtime/clock.ts";
import { CallbackError, badRequest, notFound } from "./errors.ts";
import { isCallbackReason, refusedTransition } from "./callback-states.ts";
import { NO_LINKED_SERVICES, usable, type LinkedServices } from "./linked-services.ts";
import { isOpen, nextOpen } from "./office-hours.ts";
import type { ServiceOptions } from "./options.ts";
import { normaliseCustomerNumber } from "./phone.ts";
import { LIMITS, emptyParams, own, type Params } from "./request-params.ts";
import {
  QUEUED_STATES,
  isCallbackState,
  type CallbackRow,
  type CallbackState,
  type NewCallback,
  type RateHold,
  type RuleLock,
  type StartChecks,
  type StartOutcome,
  type Store,
  type StoreQueries,
} from "./store.ts";
import { bucketStart, formatIsoTime, parseIsoTime, utcDay } from "./time.ts";

/** Fields the server owns: a request cannot set them as properties. */
const RESERVED_KEYS = new Set([
  "_id",
  "_service_name",
  "_callback_state",
  "_callback_reason",
  "_expiration_time",
  "_url",
  "_service_groups",
  "_new_desired_time",
  // Kept in their own columns; the record shows the column.
  "_desired_time",
  "_customer_number",
  // A user-originated callback's booking (access-numbers.ts), set by the server only.
  "_access_number",
  "_access_code",
  "_access_expiration_time",
  "_userorig_connect_count",
]);

export interface CallbackServiceDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly options: () => ServiceOptions;
  /** The office-hours and capacity services the options name, as mounted now (default: none). */
  readonly linked?: () => LinkedServices;
}

export interface StartResult {
  readonly row: CallbackRow;
  readonly dialog: Record<string, string>;
}

/**
 * The request's view of one option: a configured value wins over the request's unless the option is
 * listed in `_overwritable_options` (GMS allows `_ors` and `_target` only).
 */
function requestValue(key: string, params: Params, options: ServiceOptions): string | undefined {
  const configured = own(options.raw, key);
  const isConfigured = configured !== undefined && configured.trim() !== "";
  if (isConfigured && !options._overwritable_options.includes(key)) return configured;
  return own(params, key);
}

/** Properties to store: the request's parameters less reserved keys and configured options it may not override. */
function storedProperties(params: Params, options: ServiceOptions): Params {
  const properties = emptyParams();
  for (const [key, value] of Object.entries(params)) {
    if (RESERVED_KEYS.has(key)) continue;
    if (key.startsWith("_") && requestValue(key, params, options) !== value) continue;
    properties[key] = value;
  }
  return properties;
}

/** A PUT's properties over the record's; a key sent with an empty value is removed, as in GMS. */
function mergedProperties(stored: Readonly<Params>, changes: Params): Params {
  const merged = emptyParams();
  for (const [key, value] of Object.entries({ ...stored, ...changes })) {
    if (value !== "" || !Object.hasOwn(changes, key)) merged[key] = value;
  }
  return merged;
}

/** A record's properties stay within LIMITS however many PUTs merge theirs in (400 naming the limit). */
function checkRecordBounds(properties: Params): void {
  const keys = Object.keys(properties).length;
  if (keys > LIMITS.maxRecordKeys) {
    throw badRequest(
      `The callback would hold ${keys} properties; at most ${LIMITS.maxRecordKeys} are kept per callback (limit maxRecordKeys).`,
    );
  }
  const bytes = Buffer.byteLength(JSON.stringify(properties));
  if (bytes > LIMITS.maxRecordBytes) {
    throw badRequest(
      `The callback's properties would take ${bytes} bytes as JSON; at most ${LIMITS.maxRecordBytes} are kept per callback (limit maxRecordBytes).`,
    );
  }
}

/** A desired time this old would be purged (`_ttl` after it) before it could be dispatched. */
function checkNotExpired(key: string, desired: number, now: number, options: ServiceOptions): void {
  if (desired + options._ttl * 1000 <= now) {
    throw badRequest(
      `${key} ${formatIsoTime(desired)} is more than _ttl (${options._ttl} s) in the past: the callback would be purged unsent. Check option _ttl`,
    );
  }
}

/** Throttled values compare as Unicode NFC, trimmed, so one value written two ways counts once. */
function throttleKey(value: string): string {
  return value.normalize("NFC").trim();
}

function parseDesiredTime(key: string, text: string): number {
  const ms = parseIsoTime(text.trim());
  if (ms === undefined) {
    throw badRequest(
      `Invalid ${key} [${text.slice(0, 64)}]: expected an ISO-8601 UTC time such as 2030-01-31T09:30:00.000Z.`,
    );
  }
  return ms;
}

function checkFutureLimit(
  key: string,
  desired: number,
  now: number,
  options: ServiceOptions,
): void {
  if (desired > now + options._reject_future_desired_time) {
    throw badRequest(
      `${key} ${formatIsoTime(desired)} is too far in the future. Check option _reject_future_desired_time`,
    );
  }
}

/** What the checks of a scheduled time read: the store (or transaction), options, services, now. */
interface ScheduleContext {
  readonly tx: StoreQueries;
  readonly options: ServiceOptions;
  readonly linked: LinkedServices;
  readonly now: number;
}

/** The free slots of the day around `desired`, as GMS proposes them on a refused schedule. */
async function proposal(s: ScheduleContext, desired: number): Promise<Record<string, number>> {
  const window = { from: desired - 86_400_000, to: desired + 86_400_000 };
  return toAvailabilityV1(await computeSlots(s.tx, s.options, s.linked, window, s.now), 10);
}

/**
 * Refuses a scheduled time whose bucket is full, proposing the free slots around it (GMS
 * `availability`). The bucket holds `_max_request_by_time_bucket`, or with a `_capacity_service` the
 * capacity of its slot (gms-reference-2.md §3).
 */
async function checkBucket(
  s: ScheduleContext,
  desired: number,
  exclude: CallbackRow | undefined,
): Promise<void> {
  const { tx, options, linked } = s;
  const bucketMs = options._request_time_bucket * 60_000;
  const start = bucketStart(desired, bucketMs);
  const limit = slotLimit(options, linked, start);
  const counts = await tx.countByBucket(options.serviceName, start, start + bucketMs, bucketMs);
  let used = counts.get(start) ?? 0;
  if (exclude?.scheduled === true && bucketStart(exclude.desiredTime, bucketMs) === start)
    used -= 1;
  if (used < limit) return;
  throw await bucketFull(s, desired);
}

/** The bucket of `desired` bucket is full: the refusal, with the free slots around it. */
async function bucketFull(s: ScheduleContext, desired: number): Promise<CallbackError> {
  const { options, linked } = s;
  const start = bucketStart(desired, options._request_time_bucket * 60_000);
  const limit = slotLimit(options, linked, start);
  const source =
    linked.capacity?.kind === "ok"
      ? `the capacity of this slot in capacity service ${linked.capacity.name}. Check option _capacity_service`
      : `_max_request_by_time_bucket. Check option _max_request_by_time_bucket`;
  return new CallbackError(
    "CallbackExceptionTimeSlotFull",
    `The time slot ${formatIsoTime(start)} is full: it holds ${limit} callbacks, ${source}`,
    await proposal(s, desired),
  );
}

/** When the office next opens, as a sentence end. */
function opening(hours: Parameters<typeof nextOpen>[0], from: number): string {
  const next = nextOpen(hours, from);
  return next === undefined
    ? "it does not open within a year"
    : `it next opens at ${formatIsoTime(next)}`;
}

/**
 * `_business_hours_service`: "The Request Desired Time is verified against the defined regular and
 * specific calendar hours" (GMS Callback Services API; gms-reference-2.md §2.3). Refused with the
 * next open time and the free slots around the desired time.
 */
async function checkOfficeHoursAt(s: ScheduleContext, key: string, desired: number): Promise<void> {
  const { linked } = s;
  const hours = usable(linked.officeHours);
  if (hours === undefined || isOpen(hours, desired)) return;
  throw new CallbackError(
    "CallbackExceptionOutOfOfficeHours",
    `${key} ${formatIsoTime(desired)} is outside office hours (office-hours service ${linked.officeHours?.name ?? ""}, ${hours.timezone}); ${opening(hours, desired)}. Check option _business_hours_service`,
    await proposal(s, desired),
  );
}

/**
 * `_enable_reject_out_of_office_hours` (GMS 8.5.200; gms-reference-2.md §2.3, inferred): an
 * immediate callback asked for while the office is closed is refused.
 */
function checkOpenNow(options: ServiceOptions, linked: LinkedServices, now: number): void {
  if (!options._enable_reject_out_of_office_hours) return;
  const hours = usable(linked.officeHours);
  if (hours === undefined || isOpen(hours, now)) return;
  throw new CallbackError(
    "CallbackExceptionOutOfOfficeHours",
    `The office is closed now (office-hours service ${linked.officeHours?.name ?? ""}, ${hours.timezone}); ${opening(hours, now)}. Ask again then, or schedule the callback with _desired_time. Check option _enable_reject_out_of_office_hours`,
  );
}

/** A request's HTTP headers, names in lower case (as Node gives them). */
export type RequestHeaders = Readonly<Record<string, string | string[] | undefined>>;

/**
 * `_enable_throttle_header_parameters` (GMS 8.5.111.04): a throttled parameter sent as a header is
 * counted by the header's value, which wins over a body value of the same name. `_customer_number`
 * is the number dialled, so it is always the body's.
 */
function throttledText(
  parameter: string,
  params: Params,
  headers: RequestHeaders,
  options: ServiceOptions,
): string | undefined {
  if (options._enable_throttle_header_parameters) {
    const header = headers[parameter.toLowerCase()];
    const text = Array.isArray(header) ? header.join(", ") : header;
    if (text !== undefined && text.trim() !== "") return text;
  }
  return requestValue(parameter, params, options);
}

/**
 * The `_throttle_request_parameters` this request carries, with their values as they are compared:
 * `_customer_number` in its E.164 form, the others NFC and trimmed.
 */
function throttledValues(
  params: Params,
  headers: RequestHeaders,
  options: ServiceOptions,
  number: string | undefined,
): [string, string][] {
  const values: [string, string][] = [];
  for (const parameter of options._throttle_request_parameters) {
    const value =
      parameter === "_customer_number"
        ? number
        : throttleKey(throttledText(parameter, params, headers, options) ?? "");
    if (value !== undefined && value !== "") values.push([parameter, value]);
  }
  return values;
}

function bucketLock(options: ServiceOptions, desired: number): RuleLock {
  return { rule: "bucket", start: bucketStart(desired, options._request_time_bucket * 60_000) };
}

/** What a start's rules depend on, beside the options and the clock. */
interface StartRules {
  readonly throttled: readonly [string, string][];
  /** The customer number in E.164 form. */
  readonly number: string | undefined;
  readonly state: CallbackState;
  /** The desired time of a start in the future, whose bucket it takes. */
  readonly bucketed: number | undefined;
  readonly linked: LinkedServices;
  /** The access number to book, for a user-originated start answered by DialNumber. */
  readonly booking: PreparedBooking | undefined;
}

/** The locks of the rules a start checks: only starts that could change one of its counts wait. */
function startLocks(options: ServiceOptions, rules: StartRules): RuleLock[] {
  // The service's rate is held by the rate lanes of `Store.start`, not by a rule lock.
  const locks: RuleLock[] = [];
  for (const [parameter, value] of rules.throttled)
    locks.push({ rule: "throttle", parameter, value });
  if (options._enable_in_queue_checking !== "false" && rules.number !== undefined)
    locks.push({ rule: "number", customerNumber: rules.number });
  if (rules.state === "QUEUED") locks.push({ rule: "queue" });
  if (rules.bucketed !== undefined) locks.push(bucketLock(options, rules.bucketed));
  if (rules.booking !== undefined) locks.push({ rule: "access-numbers" });
  return locks;
}

/**
 * The rules a start checks in the store (`Store.start`), in GMS's order there: the per-service rate,
 * the daily throttles, in-queue checking, the queue cap, the time bucket, the access number.
 *
 * `_throttle_callbacks_per_service_1/2` within `_throttle_ttl_1/2` seconds: every start counts,
 * immediate or scheduled, over a window sliding with the clock (Genesys'
 * ThrottlePreventHighRateTests; ADR 0090); the first window is checked first, so its interval is
 * the one named when both are full. On one rate lane (ADR 0120) up to `RATE_LANES - 1` other starts
 * may be uncommitted and unseen, so a window admits only with that margin below its limit; nearer
 * the limit the start runs again holding every lane (`contended`), where the count is exact.
 */
function startChecks(
  options: ServiceOptions,
  now: number,
  hold: RateHold,
  rules: StartRules,
): StartChecks {
  const bucketMs = options._request_time_bucket * 60_000;
  const bucket = rules.bucketed === undefined ? undefined : bucketStart(rules.bucketed, bucketMs);
  const inQueue = options._enable_in_queue_checking;
  const { booking } = rules;
  return {
    locks: startLocks(options, rules),
    hold,
    rate: [
      {
        since: now - options._throttle_ttl_1 * 1000,
        limit: options._throttle_callbacks_per_service_1,
      },
      {
        since: now - options._throttle_ttl_2 * 1000,
        limit: options._throttle_callbacks_per_service_2,
      },
    ],
    throttles: {
      values: rules.throttled,
      day: utcDay(now),
      limit: options._throttle_request_parameters_limit,
    },
    inQueueLimit:
      inQueue === "false" || rules.number === undefined ? undefined : inQueue === "strict" ? 1 : 2,
    queueCap: rules.state === "QUEUED" ? options._max_queued_callbacks_per_service : undefined,
    bucket:
      bucket === undefined
        ? undefined
        : { from: bucket, to: bucket + bucketMs, limit: slotLimit(options, rules.linked, bucket) },
    access:
      booking === undefined
        ? undefined
        : {
            numbers: booking.numbers,
            resourceGroup: options._resource_group,
            code: booking.code ?? null,
            expiresAt: booking.expiresAt,
            properties: bookingProperties(booking, 1),
          },
  };
}

/** A start's refusal as GMS words it; the bucket's comes with its proposal (`bucketFull`). */
function startRefusal(
  outcome: Exclude<StartOutcome, { outcome: "admitted" | "contended" | "bucket" }>,
  options: ServiceOptions,
  number: string | undefined,
): CallbackError {
  switch (outcome.outcome) {
    case "rate": {
      const ttl = outcome.window === 1 ? options._throttle_ttl_1 : options._throttle_ttl_2;
      return new CallbackError(
        "CallbackExceptionServiceUnavailable",
        `Limit of queued callbacks for ${options.serviceName} is reached for interval ${ttl}s.`,
      );
    }
    case "throttle":
      return new CallbackError(
        "CallbackExceptionServiceUnavailable",
        `Callback for ${outcome.parameter}=${outcome.value} rejected because previous callbacks for this parameter were requested for more than ${options._throttle_request_parameters_limit} times today.`,
      );
    case "in-queue":
      return new CallbackError(
        "CallbackExceptionAlreadyQueued",
        `Callback for _customer_number=${number ?? ""} rejected because ${outcome.active} callback(s) for this number are already in the queue. Check option _enable_in_queue_checking`,
      );
    case "queue-cap":
      return queueCapReached(options);
    case "access": {
      const when =
        outcome.freeAt === undefined
          ? ""
          : ` The first is free again at ${formatIsoTime(outcome.freeAt)}.`;
      return new CallbackError(
        "CallbackExceptionServiceUnavailable",
        `All ${options._access_numbers.length} access numbers of resource group ${options._resource_group} are booked.${when} Check option _access_numbers`,
      );
    }
  }
}

function queueCapReached(options: ServiceOptions): CallbackError {
  return new CallbackError(
    "CallbackExceptionServiceUnavailable",
    `Limit of queued callbacks for ${options.serviceName} is reached.`,
  );
}

/** `_max_queued_callbacks_per_service`, on every path a client takes into QUEUED (start, reschedule). */
async function checkQueueCap(tx: StoreQueries, options: ServiceOptions): Promise<void> {
  if ((await tx.countQueued(options.serviceName)) >= options._max_queued_callbacks_per_service)
    throw queueCapReached(options);
}

/**
 * The orchestration took the customer's call, or the callback ended: its access number returns to
 * the pool (GMS match-interaction unreserves the access information; gms-reference-2.md §4.2).
 */
/** A callback being routed, processed, or held by its ORS session keeps its time. */
function refuseReschedule(row: CallbackRow): void {
  if (row.state === "ROUTING" || row.state === "PROCESSING")
    throw badRequest(`Callback ${row.id} is ${row.state}; it can no longer be rescheduled.`);
  // The ORS session holds it (ADR 0103): a new time here would not reach the session.
  if (row.orsSessionId !== null) {
    throw badRequest(
      `Callback ${row.id} is handed to ORS session ${row.orsSessionId}; it can no longer be rescheduled.`,
    );
  }
}

async function releaseWhenTaken(tx: StoreQueries, id: string, state: CallbackState): Promise<void> {
  if (state === "PROCESSING" || state === "COMPLETED") await tx.releaseAccessNumbers(id);
}

export class CallbackService {
  readonly #deps: Required<CallbackServiceDeps>;

  constructor(deps: CallbackServiceDeps) {
    this.#deps = { linked: () => NO_LINKED_SERVICES, ...deps };
  }

  async start(params: Params, headers: RequestHeaders = {}): Promise<StartResult> {
    const options = this.#deps.options();
    const now = this.#deps.clock.now();
    const missing = options._mandatory_customer_lookup_keys.filter(
      (key) => (requestValue(key, params, options) ?? "").trim() === "",
    );
    if (missing.length > 0) {
      throw badRequest(
        `Invalid option: mandatory parameter(s) ${missing.join(", ")} missing. Check option _mandatory_customer_lookup_keys`,
      );
    }
    const numberText = requestValue("_customer_number", params, options) ?? "";
    // Every rule, lock, count and the stored record see the E.164 form only.
    const number =
      numberText.trim() === "" ? undefined : normaliseCustomerNumber(numberText, options);

    const desiredText = requestValue("_desired_time", params, options);
    const scheduled = desiredText !== undefined && desiredText.trim() !== "";
    const desired = scheduled ? parseDesiredTime("_desired_time", desiredText) : now;
    if (scheduled) {
      checkFutureLimit("_desired_time", desired, now, options);
      checkNotExpired("_desired_time", desired, now, options);
    }
    const state: CallbackState =
      desired - options._request_execution_time_buffer * 1000 > now ? "SCHEDULED" : "QUEUED";
    const properties = storedProperties(params, options);
    checkRecordBounds(properties);

    // GMS counts immediate requests only: scheduled ones pass when a value's daily limit is reached
    // (Genesys' ThrottlePreventSameCustomerNumberTests; docs/callback-api.md).
    const throttled = scheduled ? [] : throttledValues(params, headers, options, number);
    const linked = this.#deps.linked();
    if (scheduled && desired > now) {
      const s = { tx: this.#deps.store, options, linked, now };
      await checkOfficeHoursAt(s, "_desired_time", desired);
    } else {
      checkOpenNow(options, linked, now);
    }
    const callback: NewCallback = {
      id: randomUUID().replaceAll("-", "").toUpperCase(),
      serviceName: options.serviceName,
      state,
      customerNumber: number ?? null,
      desiredTime: desired,
      scheduled,
      expirationTime: desired + options._ttl * 1000,
      now,
      properties,
    };
    return this.#admit(callback, options, {
      throttled,
      number,
      state,
      bucketed: scheduled && desired > now ? desired : undefined,
      linked,
      // User-originated, not waiting for an agent: the answer is an access number to dial (GMS DialNumber).
      booking: dialsAtStart(options, scheduled) ? prepareBooking(options, now) : undefined,
    });
  }

  /** The rules of the store and the insert: one free rate lane first; near a rate limit (or with no lane free) again on all lanes. */
  async #admit(
    callback: NewCallback,
    options: ServiceOptions,
    rules: StartRules,
  ): Promise<StartResult> {
    const { store } = this.#deps;
    const now = callback.now;
    let outcome = await store.start(callback, startChecks(options, now, "lane", rules));
    if (outcome.outcome === "contended")
      outcome = await store.start(callback, startChecks(options, now, "all", rules));
    switch (outcome.outcome) {
      case "admitted": {
        const { row, booked } = outcome;
        const dialog =
          rules.booking === undefined || booked === undefined
            ? confirmationDialog(row)
            : dialNumberDialog(row.id, { ...rules.booking, number: booked }, options, now);
        return { row, dialog };
      }
      case "contended":
        // All lanes held: nothing is uncommitted beside it, so the count was exact.
        throw new Error("A start holding every rate lane was told to run again");
      case "bucket":
        throw await bucketFull(
          { tx: store, options, linked: rules.linked, now },
          callback.desiredTime,
        );
      default:
        throw startRefusal(outcome, options, callback.customerNumber ?? undefined);
    }
  }

  async cancel(serviceName: string, id: string, reason = "CANCELLED"): Promise<CallbackRow> {
    const now = this.#deps.clock.now();
    return this.#deps.store.transaction(async (tx) => {
      const row = await tx.getForUpdate(id);
      if (row?.serviceName !== serviceName)
        throw notFound(`Callback ${id} is not found in service ${serviceName}.`);
      if (row.state === "COMPLETED") {
        throw badRequest(
          `Callback ${id} is already COMPLETED (${row.reason ?? "no reason"}); it cannot be cancelled.`,
        );
      }
      await tx.complete(id, reason, now);
      // A user-originated callback's access number returns to the pool at once.
      await tx.releaseAccessNumbers(id);
      return { ...row, state: "COMPLETED", reason };
    });
  }

  /**
   * PUT: `_new_desired_time` reschedules; `_callback_state`/`_callback_reason` report progress
   * (within callback-states.ts); other keys update properties, within the record's bounds; a key
   * sent with an empty value is removed.
   */
  async update(serviceName: string, id: string, params: Params): Promise<CallbackRow> {
    const options = this.#deps.options();
    const now = this.#deps.clock.now();
    const newTimeText = own(params, "_new_desired_time");
    const newTime =
      newTimeText === undefined ? undefined : parseDesiredTime("_new_desired_time", newTimeText);
    if (newTime !== undefined) {
      checkFutureLimit("_new_desired_time", newTime, now, options);
      checkNotExpired("_new_desired_time", newTime, now, options);
    }
    const requestedState = own(params, "_callback_state");
    if (requestedState !== undefined && !isCallbackState(requestedState)) {
      throw badRequest(
        `Invalid _callback_state [${requestedState.slice(0, 64)}]: expected one of SCHEDULED, QUEUED, ROUTING, PROCESSING, COMPLETED.`,
      );
    }
    if (requestedState !== undefined && newTime !== undefined) {
      throw badRequest(
        "_callback_state and _new_desired_time exclude each other: reschedule or report a state, in two requests.",
      );
    }
    const requestedReason = own(params, "_callback_reason");
    if (requestedReason !== undefined && !isCallbackReason(requestedReason)) {
      throw badRequest(
        `Invalid _callback_reason [${requestedReason.slice(0, 64)}]: expected upper-case letters, digits and _.`,
      );
    }

    const dueAt =
      newTime === undefined ? undefined : newTime - options._request_execution_time_buffer * 1000;
    const locks: RuleLock[] = [];
    if (newTime !== undefined && newTime > now) locks.push(bucketLock(options, newTime));
    if (dueAt !== undefined && dueAt <= now) locks.push({ rule: "queue" });
    return this.#deps.store.inRuleTransaction(serviceName, locks, async (tx) => {
      const row = await tx.getForUpdate(id);
      if (row?.serviceName !== serviceName)
        throw notFound(`Callback ${id} is not found in service ${serviceName}.`);
      if (row.state === "COMPLETED") {
        throw badRequest(
          `Callback ${id} is already COMPLETED (${row.reason ?? "no reason"}); it cannot be updated.`,
        );
      }
      let { desiredTime, scheduled, expirationTime } = row;
      let state: CallbackState = row.state;
      if (newTime !== undefined && dueAt !== undefined) {
        refuseReschedule(row);
        if (newTime > now) {
          const s = { tx, options, linked: this.#deps.linked(), now };
          await checkOfficeHoursAt(s, "_new_desired_time", newTime);
          await checkBucket(s, newTime, row);
        }
        state = dueAt > now ? "SCHEDULED" : "QUEUED";
        // Into the queue from outside it: the cap holds as for an immediate start.
        if (state === "QUEUED" && !QUEUED_STATES.includes(row.state))
          await checkQueueCap(tx, options);
        desiredTime = newTime;
        scheduled = true;
        expirationTime = newTime + options._ttl * 1000;
      }
      if (requestedState !== undefined) {
        const reporter = row.orsSessionId === null ? "client" : "ors-session";
        const refused = refusedTransition(reporter, row.state, requestedState);
        if (refused !== undefined) {
          throw badRequest(`Callback ${id} cannot be set to ${requestedState}: ${refused}.`);
        }
        state = requestedState;
        await releaseWhenTaken(tx, id, state);
      }
      const properties = mergedProperties(row.properties, storedProperties(params, options));
      checkRecordBounds(properties);
      const reason =
        state === "COMPLETED"
          ? (requestedReason ?? row.reason ?? "COMPLETED")
          : (requestedReason ?? row.reason);
      return tx.update(id, {
        state,
        reason,
        desiredTime,
        scheduled,
        expirationTime,
        properties,
        now,
      });
    });
  }
}

/** GMS answer to a started callback: a dialog the mobile app shows, always with `_id`. */
export function confirmationDialog(row: CallbackRow): Record<string, string> {
  const dialog: Record<string, string> = {
    _id: row.id,
    _action: "ConfirmationDialog",
    _text: row.scheduled
      ? `Your callback is scheduled for ${formatIsoTime(row.desiredTime)}`
      : "You will receive the call shortly",
    _ok_title: "Ok",
    _dialog_id: "0",
  };
  if (row.scheduled) dialog["_desired_time"] = formatIsoTime(row.desiredTime);
  return dialog;
}
