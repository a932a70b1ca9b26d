// The console's calls to each service's Callback API, with the admin credentials (ADR 0105), through
// the entry point's bounded, timed Forwarder. A record is only read or changed through its own
// service's path (or an admin path narrowed to that service) and checked to be that service's:
// on a shared PostgreSQL every Callback API answers the admin for every service.
import type { Answer, Forwarder } from "../callback-api/entry/forward.ts";
import type { ConsoleService } from "./cluster.ts";
import { serviceKey } from "./permissions.ts";

/** The open states the console lists and counts. */
export const openStates = ["SCHEDULED", "QUEUED", "ROUTING", "PROCESSING"] as const;
export const listableStates = [...openStates, "COMPLETED"] as const;
export type ListableState = (typeof listableStates)[number];

/** Records asked of one service by one listing: the admin queues' largest `max`. */
export const MAX_RECORDS_PER_SERVICE = 10_000;

export type GmsRecord = Readonly<Record<string, string>>;

export interface AdminCredentials {
  readonly username: string;
  /** Read on each call, so a rotated Secret applies without a restart. */
  readonly password: () => Promise<string | undefined>;
}

/** A service's Callback API failed: unreachable, slow, or an answer the console cannot use. */
export class UpstreamError extends Error {
  override readonly name = "UpstreamError";
  readonly service: string;
  readonly unavailable: boolean;
  constructor(service: string, problem: string, unavailable: boolean) {
    super(`The Callback API of service ${service} ${problem}`);
    this.service = service;
    this.unavailable = unavailable;
  }
}

/** A GMS error answer the console passes on as a 4xx (400 with its message, 404). */
export class GmsRefusal extends Error {
  override readonly name = "GmsRefusal";
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export interface QueueQuery {
  readonly from: number;
  readonly to: number;
  readonly states: readonly ListableState[];
  readonly customerNumber?: string;
}

export type CancelResult = "cancelled" | "already_completed" | "not_found";

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function isRecord(value: unknown): value is GmsRecord {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === "string")
  );
}

type Counts = Record<(typeof openStates)[number], number>;
const COUNTS_TTL_MS = 2_000;

export class CallbackApis {
  readonly #forwarder: Forwarder;
  readonly #admin: AdminCredentials | undefined;
  readonly #counts = new Map<string, { at: number; url: string; counts: Promise<Counts> }>();

  constructor(forwarder: Forwarder, admin: AdminCredentials | undefined) {
    this.#forwarder = forwarder;
    this.#admin = admin;
  }

  async #call(
    service: ConsoleService,
    method: "GET" | "POST" | "PUT",
    path: string,
    body?: unknown,
  ): Promise<Extract<Answer, { kind: "answered" }>> {
    const key = serviceKey(service);
    if (this.#admin === undefined)
      throw new UpstreamError(key, "cannot be asked: the console has no --admin-username", true);
    const password = await this.#admin.password();
    if (password === undefined)
      throw new UpstreamError(key, "cannot be asked: --admin-password-file cannot be read", true);
    const answer = await this.#forwarder.one(
      { name: key, url: service.url },
      {
        method,
        path,
        authorization: `Basic ${Buffer.from(`${this.#admin.username}:${password}`).toString("base64")}`,
        contentType: body === undefined ? undefined : "application/json",
        host: undefined,
        body: body === undefined ? undefined : JSON.stringify(body),
      },
    );
    if (answer.kind === "failed") throw new UpstreamError(key, answer.problem, true);
    if (answer.status === 401 || answer.status === 403)
      throw new UpstreamError(key, `refused the admin credentials (${answer.status})`, false);
    if (answer.status >= 500)
      throw new UpstreamError(key, `answered ${answer.status}`, answer.status === 503);
    return answer;
  }

  #json(service: ConsoleService, answer: { body: string }): unknown {
    try {
      return JSON.parse(answer.body) as unknown;
    } catch {
      throw new UpstreamError(serviceKey(service), "answered something that is not JSON", false);
    }
  }

  #gmsMessage(answer: { body: string }): string {
    try {
      const parsed = JSON.parse(answer.body) as { message?: unknown };
      if (typeof parsed.message === "string") return parsed.message;
    } catch {
      // not JSON: the status says enough
    }
    return "the Callback API refused the request";
  }

  /**
   * The service's callbacks in the window and states (admin queues narrowed to that service);
   * `complete` is false when the Callback API may have held back more than it sent.
   */
  async queue(
    service: ConsoleService,
    query: QueueQuery,
  ): Promise<{ records: GmsRecord[]; complete: boolean }> {
    const params = new URLSearchParams({
      target: service.name,
      start_time: iso(query.from),
      end_time: iso(query.to),
      states: query.states.join(","),
      max: String(MAX_RECORDS_PER_SERVICE),
    });
    if (query.customerNumber !== undefined) params.set("_customer_number", query.customerNumber);
    const answer = await this.#call(
      service,
      "GET",
      `/genesys/1/admin/callback/queues?${params.toString()}`,
    );
    if (answer.status === 400) throw new GmsRefusal(400, this.#gmsMessage(answer));
    const body = this.#json(service, answer);
    if (typeof body !== "object" || body === null)
      throw new UpstreamError(serviceKey(service), "answered queues that are not a map", false);
    const records = (body as Record<string, unknown>)[service.name] ?? [];
    if (!Array.isArray(records))
      throw new UpstreamError(serviceKey(service), "answered queues that are not lists", false);
    return {
      records: records.filter(
        (record): record is GmsRecord =>
          isRecord(record) && record["_service_name"] === service.name,
      ),
      complete: records.length < MAX_RECORDS_PER_SERVICE,
    };
  }

  /**
   * Counts of the open states over every desired time. Every open page asks every few seconds, so
   * one answer per service is shared for COUNTS_TTL_MS by everyone asking meanwhile.
   */
  counts(service: ConsoleService): Promise<Counts> {
    const key = serviceKey(service);
    const now = performance.now();
    const cached = this.#counts.get(key);
    if (cached !== undefined && now - cached.at < COUNTS_TTL_MS && cached.url === service.url)
      return cached.counts;
    const counts = this.#countsOf(service);
    this.#counts.set(key, { at: now, url: service.url, counts });
    // A failure is not kept: the next asker tries again.
    counts.catch(() => {
      if (this.#counts.get(key)?.counts === counts) this.#counts.delete(key);
    });
    return counts;
  }

  async #countsOf(service: ConsoleService): Promise<Counts> {
    // Past MAX_RECORDS_PER_SERVICE open callbacks the counts are a lower bound.
    const { records } = await this.queue(service, {
      from: 0,
      to: Date.UTC(9999, 11, 31),
      states: openStates,
    });
    const counts = { SCHEDULED: 0, QUEUED: 0, ROUTING: 0, PROCESSING: 0 };
    for (const record of records) {
      const state = record["_callback_state"];
      if (state !== undefined && state in counts) counts[state as keyof typeof counts] += 1;
    }
    return counts;
  }

  /** One callback of this service, or undefined (unknown, or another service's). */
  async record(service: ConsoleService, id: string): Promise<GmsRecord | undefined> {
    const params = new URLSearchParams({ _id: id });
    const answer = await this.#call(
      service,
      "GET",
      `/genesys/1/service/callback/${encodeURIComponent(service.name)}?${params.toString()}`,
    );
    if (answer.status === 404) return undefined;
    if (answer.status !== 200) throw new GmsRefusal(400, this.#gmsMessage(answer));
    const body = this.#json(service, answer);
    if (!Array.isArray(body)) return undefined;
    return body.find(
      (record): record is GmsRecord =>
        isRecord(record) && record["_id"] === id && record["_service_name"] === service.name,
    );
  }

  /** Admin cancel of one callback already checked to be this service's (CANCELLED_BY_ADMIN). */
  async cancel(service: ConsoleService, id: string): Promise<CancelResult> {
    const answer = await this.#call(service, "POST", "/genesys/1/admin/callback/cancel", {
      reason: "CANCELLED_BY_ADMIN",
      ids: [id],
    });
    if (answer.status !== 200) throw new GmsRefusal(400, this.#gmsMessage(answer));
    const body = this.#json(service, answer) as Partial<Record<CancelResult, unknown>>;
    for (const result of ["cancelled", "already_completed", "not_found"] as const) {
      const ids = body[result];
      if (Array.isArray(ids) && ids.includes(id)) return result;
    }
    throw new UpstreamError(serviceKey(service), "answered a cancel without the id", false);
  }

  /** Moves one callback of this service to a new desired time. */
  async reschedule(service: ConsoleService, id: string, desiredTime: string): Promise<void> {
    const answer = await this.#call(
      service,
      "PUT",
      `/genesys/1/service/callback/${encodeURIComponent(service.name)}/${encodeURIComponent(id)}`,
      { _new_desired_time: desiredTime },
    );
    if (answer.status === 404) throw new GmsRefusal(404, this.#gmsMessage(answer));
    if (answer.status !== 200) throw new GmsRefusal(400, this.#gmsMessage(answer));
  }

  /** The slots with room in [from, to), from the service's availability. */
  async slots(service: ConsoleService, from: number, to: number): Promise<string[]> {
    const params = new URLSearchParams({ start: iso(from), end: iso(to) });
    const answer = await this.#call(
      service,
      "GET",
      `/genesys/1/service/callback/${encodeURIComponent(service.name)}/availability?${params.toString()}`,
    );
    if (answer.status !== 200) throw new GmsRefusal(400, this.#gmsMessage(answer));
    const body = this.#json(service, answer);
    if (typeof body !== "object" || body === null || Array.isArray(body))
      throw new UpstreamError(
        serviceKey(service),
        "answered availability that is not a map",
        false,
      );
    return Object.entries(body)
      .filter(
        ([time, room]) => !Number.isNaN(Date.parse(time)) && typeof room === "number" && room > 0,
      )
      .map(([time]) => new Date(time).toISOString())
      .sort();
  }
}
