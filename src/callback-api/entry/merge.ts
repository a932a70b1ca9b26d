// How the entry point combines the answers of several Callback APIs into the one answer a single
// GMS server would give. Pure: every function takes the parsed 200 bodies of the upstreams that
// answered. On a shared PostgreSQL the admin credentials see every service through every upstream,
// so each merge also removes the duplicates that gives.

type JsonRecord = Record<string, unknown>;

function isRecord(value: unknown): value is JsonRecord {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A record's `_id`, or undefined when it has none (then it is kept as it is). */
function idOf(record: unknown): string | undefined {
  return isRecord(record) && typeof record["_id"] === "string" ? record["_id"] : undefined;
}

/** Records of the cross-service query: one list, each `_id` once, at most `limit` records. */
export function mergeRecords(lists: readonly unknown[][], limit: number): unknown[] {
  const seen = new Set<string>();
  const merged: unknown[] = [];
  for (const list of lists) {
    for (const record of list) {
      if (merged.length >= limit) return merged;
      const id = idOf(record);
      if (id !== undefined) {
        if (seen.has(id)) continue;
        seen.add(id);
      }
      merged.push(record);
    }
  }
  return merged;
}

/** `admin/callback/queues`: service → records; each service's lists merged, at most `limit` in all. */
export function mergeQueues(
  answers: readonly Record<string, unknown[]>[],
  limit: number,
): Record<string, unknown[]> {
  const names = [...new Set(answers.flatMap((answer) => Object.keys(answer)))].sort();
  const merged = Object.create(null) as Record<string, unknown[]>;
  let left = limit;
  for (const name of names) {
    const lists = answers.map((answer) => (Object.hasOwn(answer, name) ? answer[name] : undefined));
    const records = mergeRecords(
      lists.filter((list): list is unknown[] => Array.isArray(list)),
      left,
    );
    merged[name] = records;
    left -= records.length;
  }
  return merged;
}

export interface CancelResult {
  readonly cancelled: string[];
  readonly not_found: string[];
  readonly already_completed: string[];
}

/**
 * `admin/callback/cancel` sent to every upstream: an id is cancelled where one upstream cancelled
 * it, already completed where one found it finished (on a shared store the other upstreams see the
 * one that cancelled it as finished), and not found only where every upstream said so.
 */
export function mergeCancel(
  ids: readonly string[],
  answers: readonly CancelResult[],
): CancelResult {
  const has = (key: keyof CancelResult, id: string): boolean =>
    answers.some((answer) => Array.isArray(answer[key]) && answer[key].includes(id));
  const result: CancelResult = { cancelled: [], not_found: [], already_completed: [] };
  for (const id of new Set(ids)) {
    if (has("cancelled", id)) result.cancelled.push(id);
    else if (has("already_completed", id)) result.already_completed.push(id);
    else result.not_found.push(id);
  }
  return result;
}

export interface Watermarks {
  readonly services: Record<string, number>;
  readonly total: number;
}

/**
 * `admin/callback/watermarks`: an upstream answers 0 for a service asked by name that is not in
 * its store, so each service's count is the largest any upstream gave.
 */
export function mergeWatermarks(answers: readonly Watermarks[]): Watermarks {
  const services = Object.create(null) as Record<string, number>;
  for (const answer of answers) {
    for (const [name, count] of Object.entries(answer.services)) {
      if (typeof count === "number") services[name] = Math.max(services[name] ?? 0, count);
    }
  }
  return { services, total: Object.values(services).reduce((sum, count) => sum + count, 0) };
}

export interface ServiceListing {
  readonly name: string;
  readonly _service_groups: string;
  readonly queued: number;
}

/** `admin/callback/services`: each service once, in name order. */
export function mergeServices(answers: readonly { services: ServiceListing[] }[]): {
  services: ServiceListing[];
} {
  const byName = new Map<string, ServiceListing>();
  for (const answer of answers) {
    for (const service of answer.services) {
      if (typeof service.name !== "string") continue;
      const known = byName.get(service.name);
      if (known === undefined || service.queued > known.queued) byName.set(service.name, service);
    }
  }
  return {
    services: [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
  };
}

/** CSV reports: the first body's header once, then every distinct data line in answer order. */
export function mergeCsv(bodies: readonly string[]): string {
  let header: string | undefined;
  const lines: string[] = [];
  const seen = new Set<string>();
  for (const body of bodies) {
    const [first, ...rest] = body.split(/\r?\n/);
    if (first === undefined || first === "") continue;
    header ??= first;
    for (const line of rest) {
      if (line === "" || seen.has(line)) continue;
      seen.add(line);
      lines.push(line);
    }
  }
  return header === undefined ? "" : `${[header, ...lines].join("\n")}\n`;
}
