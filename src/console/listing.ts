// The callback table's query (filters, sort, page) and rows, kept pure: the routes fetch each
// service's records from its Callback API and hand them here.
import { csvCell } from "../callback-api/cancelled-report.ts";
import { invalid } from "./errors.ts";
import { listableStates, type GmsRecord, type ListableState } from "./upstream.ts";

export const sortKeys = ["desiredTime", "state", "customerNumber", "service", "reason"] as const;
export type SortKey = (typeof sortKeys)[number];
export const MAX_PAGE_SIZE = 250;
export const MAX_CSV_ROWS = 10_000;
/** The GMS Callback UI's default window: 15 minutes back, 24 hours ahead. */
const WINDOW_BEFORE_MS = 15 * 60_000;
const WINDOW_AFTER_MS = 86_400_000;
const MAX_FILTER_VALUE = 128;

export interface ListQuery {
  readonly services: readonly string[];
  readonly group: string | undefined;
  readonly states: readonly ListableState[];
  readonly from: number;
  readonly to: number;
  readonly customerNumber: string | undefined;
  readonly sort: SortKey;
  readonly order: "asc" | "desc";
  readonly page: number;
  readonly pageSize: number;
}

export interface Item {
  readonly service: string;
  readonly id: string;
  readonly state: string;
  readonly desiredTime: string;
  readonly customerNumber: string;
  readonly reason: string;
  readonly custom: Readonly<Record<string, string>>;
}

export interface Column {
  readonly key: string;
  readonly label: string;
}

type Query = Readonly<Record<string, unknown>>;

function many(query: Query, key: string): string[] {
  const value = query[key];
  const values = Array.isArray(value) ? value : value === undefined ? [] : [value];
  const strings = values.filter((v): v is string => typeof v === "string" && v !== "");
  for (const v of strings)
    if (v.length > MAX_FILTER_VALUE)
      throw invalid(`${key} is longer than ${MAX_FILTER_VALUE} characters: shorten it`);
  return strings;
}

function one(query: Query, key: string): string | undefined {
  const values = many(query, key);
  if (values.length > 1) throw invalid(`${key} is given ${values.length} times: give it once`);
  return values[0];
}

function time(query: Query, key: string, fallback: number): number {
  const raw = one(query, key);
  if (raw === undefined) return fallback;
  const ms = Date.parse(raw);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(raw) || Number.isNaN(ms))
    throw invalid(`${key} "${raw}" is not a time: use ISO 8601, such as 2030-03-04T10:00:00.000Z`);
  return ms;
}

function whole(query: Query, key: string, fallback: number, max: number): number {
  const raw = one(query, key);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 1 || value > max)
    throw invalid(`${key} "${raw}" is invalid: use a whole number from 1 to ${max}`);
  return value;
}

function choice<T extends string>(
  query: Query,
  key: string,
  choices: readonly T[],
  fallback: T,
): T {
  const raw = one(query, key);
  if (raw === undefined) return fallback;
  const match = choices.find((c) => c === raw);
  if (match === undefined)
    throw invalid(`${key} "${raw}" is invalid: use one of ${choices.join(", ")}`);
  return match;
}

/** The filters of GET /api/callbacks (and .csv), or a 400 naming the parameter. */
export function parseListQuery(query: Query, now: number): ListQuery {
  const states = many(query, "state");
  for (const state of states)
    if (!listableStates.some((s) => s === state))
      throw invalid(`state "${state}" is invalid: use one of ${listableStates.join(", ")}`);
  const from = time(query, "from", now - WINDOW_BEFORE_MS);
  const to = time(query, "to", now + WINDOW_AFTER_MS);
  if (from > to) throw invalid("from is after to: give a from before the to");
  return {
    services: many(query, "service"),
    group: one(query, "group"),
    states: (states.length === 0 ? listableStates : states) as ListableState[],
    from,
    to,
    customerNumber: one(query, "customerNumber"),
    sort: choice(query, "sort", sortKeys, "desiredTime"),
    order: choice(query, "order", ["asc", "desc"], "asc"),
    page: whole(query, "page", 1, 1_000_000),
    pageSize: whole(query, "pageSize", 50, MAX_PAGE_SIZE),
  };
}

/** User data: record keys that are not GMS's own (`_…`) nor the record's `url`. */
function customOf(record: GmsRecord): Record<string, string> {
  return Object.fromEntries(
    Object.entries(record).filter(([key]) => !key.startsWith("_") && key !== "url"),
  );
}

export function toItem(service: string, record: GmsRecord): Item {
  return {
    service,
    id: record["_id"] ?? "",
    state: record["_callback_state"] ?? "",
    desiredTime: record["_desired_time"] ?? "",
    customerNumber: record["_customer_number"] ?? "",
    reason: record["_callback_reason"] ?? "",
    custom: customOf(record),
  };
}

const sortValue: Readonly<Record<SortKey, (item: Item) => string>> = {
  desiredTime: (item) => item.desiredTime,
  state: (item) => item.state,
  customerNumber: (item) => item.customerNumber,
  service: (item) => item.service,
  reason: (item) => item.reason,
};

/** Sorted by the key, then desired time and id, so pages are stable. */
export function sortItems(items: Item[], sort: SortKey, order: "asc" | "desc"): Item[] {
  const sign = order === "asc" ? 1 : -1;
  const value = sortValue[sort];
  return items.sort(
    (a, b) =>
      sign * value(a).localeCompare(value(b)) ||
      a.desiredTime.localeCompare(b.desiredTime) ||
      a.id.localeCompare(b.id),
  );
}

/** Custom columns: the aliased keys first (in alias order), then other keys the items hold. */
export function columnsOf(
  aliases: readonly Readonly<Record<string, string>>[],
  items: readonly Item[],
): Column[] {
  const labels = new Map<string, string>();
  for (const alias of aliases)
    for (const [key, label] of Object.entries(alias)) if (!labels.has(key)) labels.set(key, label);
  for (const item of items)
    for (const key of Object.keys(item.custom)) if (!labels.has(key)) labels.set(key, key);
  return [...labels].map(([key, label]) => ({ key, label }));
}

/** The table as CSV, with the page's column names; formula cells neutralised (ADR 0104). */
export function itemsCsv(items: readonly Item[], columns: readonly Column[]): string {
  const line = (cells: readonly string[]): string => `${cells.map(csvCell).join(",")}\r\n`;
  let text = line([
    "State",
    "Desired Callback Time",
    "Phone Number",
    "Service Name",
    "Reason",
    "Callback ID",
    ...columns.map((c) => c.label),
  ]);
  for (const item of items) {
    text += line([
      item.state,
      item.desiredTime,
      item.customerNumber,
      item.service,
      item.reason,
      item.id,
      ...columns.map((c) => item.custom[c.key] ?? ""),
    ]);
  }
  return text;
}
