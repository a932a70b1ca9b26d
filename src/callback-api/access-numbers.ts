// User-originated callbacks: the customer dials in, to an access number booked from the service's
// pool (`_access_numbers`, named by `_resource_group`) for `_booking_expiration_timeout` seconds,
// with a random access code when `_provide_code` is true (gms-reference.md §2, §5;
// gms-reference-2.md §4.1–4.2; ADR 0110). The GMS answer is a DialNumber dialog.
import { randomInt } from "node:crypto";
import { CallbackError } from "./errors.ts";
import type { ServiceOptions } from "./options.ts";
import type { StoreQueries } from "./store.ts";
import { formatIsoTime } from "./time.ts";

/** An access number as a `tel:` URI takes it: an optional `+`, digits, RFC 3966 separators. */
const ACCESS_NUMBER = /^\+?[0-9](?:[0-9().-]{0,30}[0-9])?$/;
const CODE_LENGTH = { min: 1, max: 32 } as const;

export interface Access {
  readonly number: string;
  readonly code: string | undefined;
  readonly expiresAt: number;
}

/** Does the service answer a start with DialNumber? User-originated, not waiting for an agent. */
export function dialsAtStart(options: ServiceOptions, scheduled: boolean): boolean {
  return options._call_direction === "USERORIGINATED" && !options._wait_for_agent && !scheduled;
}

/** A service whose pool cannot be used answers 503 naming the option to fix: it is not the request's fault. */
function misconfigured(message: string): CallbackError {
  return new CallbackError("CallbackExceptionServiceUnavailable", message);
}

function pool(options: ServiceOptions): readonly string[] {
  const invalid = options._access_numbers.filter((number) => !ACCESS_NUMBER.test(number));
  if (invalid.length > 0) {
    throw misconfigured(
      `Option _access_numbers holds ${invalid.length} entr${invalid.length === 1 ? "y" : "ies"} that cannot be dialled (${JSON.stringify(invalid[0]?.slice(0, 40))}): use digits with an optional leading + and - . ( ) between them.`,
    );
  }
  if (options._access_numbers.length === 0) {
    throw misconfigured(
      `Resource group ${options._resource_group} has no access numbers: set option _access_numbers for service ${options.serviceName}.`,
    );
  }
  return options._access_numbers;
}

function accessCode(options: ServiceOptions): string | undefined {
  if (!options._provide_code) return undefined;
  const length = options._access_code_length;
  if (length < CODE_LENGTH.min || length > CODE_LENGTH.max) {
    throw misconfigured(
      `Option _access_code_length is ${length}: use ${CODE_LENGTH.min} to ${CODE_LENGTH.max} digits.`,
    );
  }
  // Each digit from the CSPRNG, uniformly: the code authenticates the inbound call.
  return Array.from({ length }, () => String(randomInt(10))).join("");
}

/** A booking about to be made: the pool, the code and the expiry (503 for an unusable pool). */
export interface PreparedBooking {
  readonly numbers: readonly string[];
  readonly code: string | undefined;
  readonly expiresAt: number;
}

export function prepareBooking(options: ServiceOptions, now: number): PreparedBooking {
  return {
    numbers: pool(options),
    code: accessCode(options),
    expiresAt: now + options._booking_expiration_timeout * 1000,
  };
}

/**
 * Books an access number for a callback, inside a transaction that holds the `access-numbers`
 * rule lock. Every number held: 503 saying when the first one is free again. (A start books in
 * its own statement, `Store.start`.)
 */
export async function bookAccess(
  tx: StoreQueries,
  options: ServiceOptions,
  callbackId: string,
  now: number,
): Promise<Access> {
  const { numbers, code, expiresAt } = prepareBooking(options, now);
  const number = await tx.bookAccessNumber({
    numbers,
    resourceGroup: options._resource_group,
    serviceName: options.serviceName,
    callbackId,
    accessCode: code ?? null,
    now,
    expiresAt,
  });
  if (number === undefined) {
    const free = await tx.nextAccessNumberFree(numbers, now);
    const when = free === undefined ? "" : ` The first is free again at ${formatIsoTime(free)}.`;
    throw new CallbackError(
      "CallbackExceptionServiceUnavailable",
      `All ${numbers.length} access numbers of resource group ${options._resource_group} are booked.${when} Check option _access_numbers`,
    );
  }
  return { number, code, expiresAt };
}

/** Properties a booking leaves on the record: the orchestration matches the inbound call by them. */
export function accessProperties(access: Access, connects: number): Record<string, string> {
  return { _access_number: access.number, ...bookingProperties(access, connects) };
}

/** The properties of a booking but its number, for a start that learns the number as it books. */
export function bookingProperties(
  booking: Pick<Access, "code" | "expiresAt">,
  connects: number,
): Record<string, string> {
  const properties: Record<string, string> = {
    _access_expiration_time: formatIsoTime(booking.expiresAt),
    _userorig_connect_count: String(connects),
  };
  if (booking.code !== undefined) properties["_access_code"] = booking.code;
  return properties;
}

/** The GMS DialNumber dialog: the app dials `_tel_url` and shows `_label`. */
export function dialNumberDialog(
  id: string,
  access: Access,
  options: ServiceOptions,
  now: number,
): Record<string, string> {
  const dialog: Record<string, string> = {
    _id: id,
    _action: "DialNumber",
    _tel_url: `tel:${access.number}`,
    _label:
      access.code === undefined
        ? `Call ${access.number}`
        : `Call ${access.number} and enter access code ${access.code}`,
    _dialog_id: "0",
    _access_number: access.number,
    _resource_group: options._resource_group,
    // GMS request-access: "amount of time that this access information will be locked", in seconds.
    _expiration_time: String(Math.max(0, Math.round((access.expiresAt - now) / 1000))),
  };
  if (access.code !== undefined) dialog["_access_code"] = access.code;
  return dialog;
}
