// The callback table's view (filters, sort, page) as the JSON API's query string, and the small
// pure rules the page follows; kept apart from the DOM so they are unit-tested.

export const SORT_KEYS = ["state", "desiredTime", "customerNumber", "service", "reason"] as const;
export type SortKey = (typeof SORT_KEYS)[number];
export type Order = "asc" | "desc";

export interface Filters {
  readonly state: string;
  /** `datetime-local` input values (browser-local time), empty for the API's default window. */
  readonly from: string;
  readonly to: string;
  readonly customerNumber: string;
  readonly service: string;
  readonly group: string;
}

export interface View {
  readonly filters: Filters;
  readonly sort: SortKey;
  readonly order: Order;
  readonly page: number;
  readonly pageSize: number;
}

/** A `datetime-local` value as an ISO instant, or undefined when empty or not a date. */
export function localInputToIso(value: string): string | undefined {
  if (value.trim() === "") return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/**
 * The query of GET /api/callbacks (and the CSV export) for a view. `services` narrows to those
 * services when given (the export of a person who may export only some of the services in scope).
 */
export function callbackQuery(view: View, services: readonly string[] = []): URLSearchParams {
  const query = new URLSearchParams();
  const { filters } = view;
  const chosen = filters.service === "" ? services : [filters.service];
  for (const service of chosen) query.append("service", service);
  if (filters.group !== "") query.set("group", filters.group);
  if (filters.state !== "") query.set("state", filters.state);
  const from = localInputToIso(filters.from);
  const to = localInputToIso(filters.to);
  if (from !== undefined) query.set("from", from);
  if (to !== undefined) query.set("to", to);
  const number = filters.customerNumber.trim();
  if (number !== "") query.set("customerNumber", number);
  query.set("sort", view.sort);
  query.set("order", view.order);
  query.set("page", String(view.page));
  query.set("pageSize", String(view.pageSize));
  return query;
}

/** Clicking a column header: the same column flips the order, another sorts ascending by it. */
export function nextSort(view: View, key: SortKey): { sort: SortKey; order: Order } {
  if (view.sort === key) return { sort: key, order: view.order === "asc" ? "desc" : "asc" };
  return { sort: key, order: "asc" };
}

export function pageCount(total: number, pageSize: number): number {
  return Math.max(1, Math.ceil(total / pageSize));
}

export function foundText(total: number): string {
  return `${total} callback(s) found`;
}

interface Counted {
  readonly namespace: string;
  readonly name: string;
  readonly counts: Readonly<Record<string, number>>;
}

/** What the 5 s refresh compares: the table reloads only when a service's counts change. */
export function countsSignature(services: readonly Counted[]): string {
  return JSON.stringify(
    services.map((service) => [
      `${service.namespace}/${service.name}`,
      Object.entries(service.counts).sort(([a], [b]) => a.localeCompare(b)),
    ]),
  );
}
