// The Callback UI's "Export cancelled" (gms-reference-2.md §1.4, §7.2): the request body of
// `POST /genesys/1/admin/callback/reportcancelled` and the `CancelledCallbacks.csv` it answers. GMS
// leaves the format unconfirmed; ours is ADR 0104: RFC 4180 CSV, one header line, the UI's columns
// then each `exported_properties` entry, cells that a spreadsheet would run as a formula prefixed
// with `'`.
import { csv } from "../api/gms-option-readers.ts";
import { isCallbackReason } from "./callback-states.ts";
import { badRequest } from "./errors.ts";
import { checkKey, checkText, own } from "./request-params.ts";
import { parseIsoTime } from "./time.ts";

/** Rows one export may hold: more is refused with this number, so the window can be narrowed. */
export const MAX_EXPORT_ROWS = 10_000;
/** Columns `exported_properties` may add. */
const MAX_EXPORTED_PROPERTIES = 50;
/** Entries of a `services` selector. */
const MAX_SELECTORS = 100;
/** Without start_time / end_time the window is open; desired times are never outside these. */
const EARLIEST = 0;
const LATEST = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** The Callback UI's table columns (§1.1) with the reason the export is about. */
export const BASE_COLUMNS = [
  "_callback_state",
  "_callback_reason",
  "_desired_time",
  "_customer_number",
  "_service_name",
] as const;

/** The UI's "Service ID" (`exported_properties: ["_service_id"]` in GMS's tests) is the callback id. */
const ALIASES: ReadonlyMap<string, string> = new Map([["_service_id", "_id"]]);

export interface CancelledReportRequest {
  readonly reason: string;
  /** Header names, in order: the base columns, then the added properties. */
  readonly columns: readonly string[];
  readonly from: number;
  readonly to: number;
  /** Service names or `_service_groups` names; empty means every service. */
  readonly selectors: readonly string[];
}

function field(body: Readonly<Record<string, unknown>>, key: string): unknown {
  return Object.hasOwn(body, key) ? body[key] : undefined;
}

/** A list of names: a JSON list of strings or, from a form, one comma-separated string. */
function names(value: unknown, key: string, max: number, example: string): string[] {
  if (value === undefined || value === "") return [];
  const list =
    typeof value === "string"
      ? csv(value)
      : Array.isArray(value) && value.every((item) => typeof item === "string")
        ? value
        : undefined;
  if (list === undefined) {
    throw badRequest(`${key} must be a list of names, such as ${example}.`);
  }
  if (list.length > max) {
    throw badRequest(`${key} has ${list.length} entries; at most ${max} are accepted.`);
  }
  for (const name of list) {
    checkKey(name);
    checkText(key, name);
  }
  return list;
}

/** An ISO-8601 UTC time, or epoch milliseconds (what a browser's Date gives). */
function time(value: unknown, key: string, fallback: number): number {
  if (value === undefined || value === "") return fallback;
  const ms =
    typeof value === "string"
      ? parseIsoTime(value)
      : typeof value === "number" && Number.isInteger(value)
        ? value
        : undefined;
  if (ms === undefined || ms < EARLIEST || ms > LATEST) {
    const shown = typeof value === "string" ? ` [${value.slice(0, 64)}]` : "";
    throw badRequest(
      `Invalid ${key}${shown}: expected an ISO-8601 UTC time such as 2030-03-04T10:00:00.000Z, or epoch milliseconds.`,
    );
  }
  return ms;
}

/**
 * The export asked for, or a 400 naming the field. `services` may come in the body or, as on the
 * other admin endpoints, in the query string; not both.
 */
export function parseReportRequest(
  body: unknown,
  queryServices: string | undefined,
): CancelledReportRequest {
  if (body !== undefined && (typeof body !== "object" || body === null || Array.isArray(body))) {
    throw badRequest("The request body must be a JSON object or form fields.");
  }
  const fields = (body ?? {}) as Readonly<Record<string, unknown>>;
  const reason = field(fields, "callback_reason") ?? "CANCELLED_BY_ADMIN";
  if (typeof reason !== "string" || !isCallbackReason(reason)) {
    throw badRequest(
      "callback_reason must be upper-case letters, digits and _, such as CANCELLED_BY_ADMIN.",
    );
  }
  const added = names(
    field(fields, "exported_properties"),
    "exported_properties",
    MAX_EXPORTED_PROPERTIES,
    '["_service_id"]',
  );
  const from = time(field(fields, "start_time"), "start_time", EARLIEST);
  const to = time(field(fields, "end_time"), "end_time", LATEST);
  if (to < from) throw badRequest("end_time is before start_time: swap them.");
  const bodyServices = field(fields, "services");
  if (bodyServices !== undefined && queryServices !== undefined) {
    throw badRequest("services is given both in the body and in the query string: give it once.");
  }
  const selectors = names(
    bodyServices ?? queryServices,
    "services",
    MAX_SELECTORS,
    "callback-support or a group name",
  );
  // A property that is already a column adds none.
  const columns = [...new Set<string>([...BASE_COLUMNS, ...added])];
  return { reason, columns, from, to, selectors };
}

/** A cell a spreadsheet would evaluate: it begins with =, +, -, @, a tab or a carriage return. */
const FORMULA_START = /^[=+\-@\t\r]/;
/** A plain number (a phone number in E.164, a count) holds no formula and is left as it is. */
const PLAIN_NUMBER = /^[+-]?[0-9]+(\.[0-9]+)?$/;

/** One RFC 4180 cell: a formula neutralised with `'`, quoted when it holds , " CR or LF. */
export function csvCell(value: string): string {
  const safe = FORMULA_START.test(value) && !PLAIN_NUMBER.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** The CSV of `records` (GMS records, every value a string) under `columns`, CRLF-terminated lines. */
export function cancelledCsv(
  columns: readonly string[],
  records: readonly Readonly<Record<string, string>>[],
): string {
  const line = (cells: readonly string[]): string => `${cells.map(csvCell).join(",")}\r\n`;
  let text = line(columns);
  for (const record of records) {
    text += line(columns.map((column) => own(record, ALIASES.get(column) ?? column) ?? ""));
  }
  return text;
}
