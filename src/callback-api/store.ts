// The one store of callback records. Every statement the API runs is here, written once for both
// engines (PostgreSQL and PGlite speak the same SQL). Times cross this boundary as epoch ms.
import {
  STATEMENT_TIMEOUT_MS,
  type Database,
  type PreparedStatement,
  type SqlClient,
} from "./database.ts";
import { QuerySlots } from "./query-slots.ts";
import { SCHEMA_TABLES } from "./schema-tables.ts";

export const CALLBACK_STATES = [
  "SCHEDULED",
  "QUEUED",
  "ROUTING",
  "PROCESSING",
  "COMPLETED",
] as const;
export type CallbackState = (typeof CALLBACK_STATES)[number];

/** States that hold a place in the service's queue (GMS "queued" watermark). */
export const QUEUED_STATES: readonly CallbackState[] = ["QUEUED", "ROUTING", "PROCESSING"];

export function isCallbackState(value: string): value is CallbackState {
  return (CALLBACK_STATES as readonly string[]).includes(value);
}

export interface CallbackRow {
  readonly id: string;
  readonly serviceName: string;
  readonly state: CallbackState;
  readonly reason: string | null;
  readonly customerNumber: string | null;
  readonly desiredTime: number;
  readonly scheduled: boolean;
  readonly expirationTime: number;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** Request parameters and user data, as the request sent them (strings); a null-prototype map. */
  readonly properties: Readonly<Record<string, string>>;
  readonly attempts: number;
  readonly nextAttemptAt: number | null;
  readonly lastError: string | null;
  /** The ORS session that owns the callback since the dispatcher started it; null before. */
  readonly orsSessionId: string | null;
}

export interface NewCallback {
  readonly id: string;
  readonly serviceName: string;
  readonly state: CallbackState;
  readonly customerNumber: string | null;
  readonly desiredTime: number;
  readonly scheduled: boolean;
  readonly expirationTime: number;
  readonly now: number;
  readonly properties: Readonly<Record<string, string>>;
}

export interface AccessBooking {
  /** The pool: the service's `_access_numbers`. */
  readonly numbers: readonly string[];
  readonly resourceGroup: string;
  readonly serviceName: string;
  readonly callbackId: string;
  readonly accessCode: string | null;
  readonly now: number;
  readonly expiresAt: number;
}

/** States of a callback waiting for an agent: check-queue-position counts these. */
export const WAITING_STATES: readonly CallbackState[] = ["QUEUED", "ROUTING"];

export interface PropertyFilter {
  readonly key: string;
  readonly value: string;
  readonly negate: boolean;
}

export interface CallbackQuery {
  readonly serviceNames?: readonly string[] | undefined;
  readonly filters: readonly PropertyFilter[];
  readonly operand: "AND" | "OR";
  readonly limit: number;
}

export interface AdminQuery {
  /** Service names or `_service_groups` names; empty means every service. */
  readonly selectors: readonly string[];
  readonly from: number;
  readonly to: number;
  readonly states: readonly CallbackState[];
  readonly filters: readonly PropertyFilter[];
  readonly limit: number;
}

export interface ServiceEntry {
  readonly name: string;
  readonly serviceGroups: readonly string[];
}

interface DbRow {
  id: string;
  service_name: string;
  state: string;
  reason: string | null;
  customer_number: string | null;
  desired_time: Date;
  scheduled: boolean;
  expiration_time: Date;
  created_at: Date;
  updated_at: Date;
  properties: Record<string, string>;
  attempts: number;
  next_attempt_at: Date | null;
  last_error: string | null;
  ors_session_id: string | null;
}

function toRow(row: DbRow): CallbackRow {
  return {
    id: row.id,
    serviceName: row.service_name,
    state: isCallbackState(row.state) ? row.state : "COMPLETED",
    reason: row.reason,
    customerNumber: row.customer_number,
    desiredTime: row.desired_time.getTime(),
    scheduled: row.scheduled,
    expirationTime: row.expiration_time.getTime(),
    createdAt: row.created_at.getTime(),
    updatedAt: row.updated_at.getTime(),
    // Null prototype: a stored key such as `constructor` reads back as itself, never a built-in.
    properties: Object.assign(Object.create(null) as Record<string, string>, row.properties),
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at?.getTime() ?? null,
    lastError: row.last_error,
    orsSessionId: row.ors_session_id,
  };
}

const date = (ms: number): Date => new Date(ms);

/**
 * Columns a GMS property filter maps to; every other key is looked up in `properties`, as a bound
 * parameter. A Map, so that no user key (`constructor`, `toString`) can resolve to anything else:
 * the SQL text of a filter is built from these constants only.
 */
const COLUMN_FOR_KEY: ReadonlyMap<string, string> = new Map([
  ["_id", "id"],
  ["_service_name", "service_name"],
  ["_callback_state", "state"],
  ["_callback_reason", "reason"],
  ["_customer_number", "customer_number"],
  ["_ors_session_id", "ors_session_id"],
]);

/** Times compared as the API shows them, so a value copied from a response matches. */
const TIME_TEXT_FOR_KEY: ReadonlyMap<string, string> = new Map([
  ["_desired_time", `to_char(desired_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`],
  [
    "_expiration_time",
    `to_char(expiration_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`,
  ],
]);

/** SQL for a list of property filters; parameters are appended to `params`. */
function filterSql(
  filters: readonly PropertyFilter[],
  operand: "AND" | "OR",
  params: unknown[],
): string {
  const clauses = filters.map((filter) => {
    let left = COLUMN_FOR_KEY.get(filter.key) ?? TIME_TEXT_FOR_KEY.get(filter.key);
    if (left === undefined) {
      params.push(filter.key);
      left = `properties ->> $${params.length}`;
    }
    params.push(filter.value);
    return filter.negate
      ? `${left} IS DISTINCT FROM $${params.length}`
      : `${left} = $${params.length}`;
  });
  return clauses.length === 0 ? "TRUE" : `(${clauses.join(` ${operand} `)})`;
}

/** Statements over one client: the pool, or a transaction. */
export class StoreQueries {
  protected readonly client: SqlClient;

  constructor(client: SqlClient) {
    this.client = client;
  }

  async insert(callback: NewCallback): Promise<CallbackRow> {
    const rows = await this.client.query<DbRow>(
      `INSERT INTO callbacks (id, service_name, state, customer_number, desired_time, scheduled,
         expiration_time, created_at, updated_at, properties)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9) RETURNING *`,
      rowParams(callback),
    );
    return toRow(firstRow(rows));
  }

  async getById(id: string): Promise<CallbackRow | undefined> {
    const rows = await this.client.query<DbRow>("SELECT * FROM callbacks WHERE id = $1", [id]);
    return rows[0] === undefined ? undefined : toRow(rows[0]);
  }

  /** Locks the row for the rest of the transaction, so a check and its update see one state. */
  async getForUpdate(id: string): Promise<CallbackRow | undefined> {
    const rows = await this.client.query<DbRow>(
      "SELECT * FROM callbacks WHERE id = $1 FOR UPDATE",
      [id],
    );
    return rows[0] === undefined ? undefined : toRow(rows[0]);
  }

  async query(query: CallbackQuery): Promise<CallbackRow[]> {
    const params: unknown[] = [];
    let where = filterSql(query.filters, query.operand, params);
    if (query.serviceNames !== undefined) {
      params.push(query.serviceNames);
      where += ` AND service_name = ANY($${params.length}::text[])`;
    }
    params.push(query.limit);
    const rows = await this.client.query<DbRow>(
      `SELECT * FROM callbacks WHERE ${where} ORDER BY desired_time, id LIMIT $${params.length}`,
      params,
    );
    return rows.map(toRow);
  }

  async adminQuery(query: AdminQuery): Promise<CallbackRow[]> {
    const params: unknown[] = [date(query.from), date(query.to)];
    let where = `desired_time >= $1 AND desired_time <= $2 AND ${filterSql(query.filters, "AND", params)}`;
    if (query.states.length > 0) {
      params.push(query.states);
      where += ` AND state = ANY($${params.length}::text[])`;
    }
    if (query.selectors.length > 0) {
      params.push(query.selectors);
      const n = params.length;
      where += ` AND (service_name = ANY($${n}::text[]) OR service_name IN (
        SELECT name FROM services
        WHERE EXISTS (SELECT 1 FROM jsonb_array_elements_text(service_groups) AS g(name)
                      WHERE g.name = ANY($${n}::text[]))))`;
    }
    params.push(query.limit);
    const rows = await this.client.query<DbRow>(
      `SELECT * FROM callbacks WHERE ${where} ORDER BY desired_time, id LIMIT $${params.length}`,
      params,
    );
    return rows.map(toRow);
  }

  /** The service's queued callbacks, from the counts migration 6 keeps (ADR 0137). */
  async countQueued(serviceName: string): Promise<number> {
    const rows = await this.client.query<{ count: number }>(
      "SELECT callback_api_count_states($1, $2)::int AS count",
      [serviceName, QUEUED_STATES],
    );
    return firstRow(rows).count;
  }

  /** Scheduled callbacks per time bucket in [from, to), cancelled ones excluded: they gave the slot back. */
  async countByBucket(
    serviceName: string,
    from: number,
    to: number,
    bucketMs: number,
  ): Promise<Map<number, number>> {
    const rows = await this.client.query<{ bucket: number; count: number }>(
      `SELECT (floor(extract(epoch FROM desired_time) * 1000 / $4::float8) * $4::float8)::float8 AS bucket,
              count(*)::int AS count
       FROM callbacks
       WHERE service_name = $1 AND scheduled AND desired_time >= $2 AND desired_time < $3
         AND NOT (state = 'COMPLETED' AND reason IS NOT DISTINCT FROM 'CANCELLED')
       GROUP BY 1`,
      [serviceName, date(from), date(to), bucketMs],
    );
    return new Map(rows.map((row) => [row.bucket, row.count]));
  }

  /**
   * Books one of `numbers` for a callback, at random among those no callback holds (GMS "random
   * and locking" allocation); the callback's own earlier booking is given back first. Undefined
   * when every number is held. Run under the `access-numbers` rule lock: the check and the insert
   * then cannot interleave with another replica's.
   */
  async bookAccessNumber(booking: AccessBooking): Promise<string | undefined> {
    await this.releaseAccessNumbers(booking.callbackId);
    // The statement the start function books with too (migration 5): one definition of the pick.
    const rows = await this.client.query<{ access_number: string | null }>(
      "SELECT callback_api_book_access($1, $2, $3, $4, $5, $6, $7) AS access_number",
      [
        booking.numbers,
        booking.resourceGroup,
        booking.serviceName,
        booking.callbackId,
        booking.accessCode,
        date(booking.now),
        date(booking.expiresAt),
      ],
    );
    return rows[0]?.access_number ?? undefined;
  }

  /** When the first of `numbers` held at `now` is free again (ms); undefined if none is held. */
  async nextAccessNumberFree(numbers: readonly string[], now: number): Promise<number | undefined> {
    const rows = await this.client.query<{ next: Date | null }>(
      `SELECT min(expires_at) AS next FROM access_bookings
       WHERE access_number = ANY($1::text[]) AND expires_at > $2`,
      [numbers, date(now)],
    );
    return rows[0]?.next?.getTime();
  }

  /** Replaces a callback's properties only: its state, times and retry schedule stay. */
  async setProperties(
    id: string,
    properties: Readonly<Record<string, string>>,
    now: number,
  ): Promise<void> {
    await this.client.query("UPDATE callbacks SET properties = $2, updated_at = $3 WHERE id = $1", [
      id,
      JSON.stringify(properties),
      date(now),
    ]);
  }

  /** A callback's booking returns to the pool (cancelled, or booked anew). */
  async releaseAccessNumbers(callbackId: string): Promise<void> {
    await this.client.query("DELETE FROM access_bookings WHERE callback_id = $1", [callbackId]);
  }

  /**
   * The place of a waiting callback in its service's queue: callbacks QUEUED or ROUTING (not yet
   * taken by an agent), in the order the dispatcher claims them (desired time, then id).
   */
  async queuePosition(
    row: CallbackRow,
  ): Promise<{ readonly position: number; readonly waiting: number }> {
    const rows = await this.client.query<{ ahead: number; waiting: number }>(
      `SELECT count(*) FILTER (WHERE desired_time < $2 OR (desired_time = $2 AND id < $3))::int AS ahead,
              count(*)::int AS waiting
       FROM callbacks WHERE service_name = $1 AND state = ANY($4::text[])`,
      [row.serviceName, date(row.desiredTime), row.id, WAITING_STATES],
    );
    return { position: (rows[0]?.ahead ?? 0) + 1, waiting: rows[0]?.waiting ?? 0 };
  }

  /**
   * Seconds the service's callbacks took from due to COMPLETED (agent connected, or handed over),
   * on average over those completed since `since`; cancelled ones left out. Undefined: none.
   */
  async averageWaitSeconds(serviceName: string, since: number): Promise<number | undefined> {
    const rows = await this.client.query<{ wait: number | null }>(
      `SELECT avg(extract(epoch FROM (updated_at - greatest(desired_time, created_at))))::float8 AS wait
       FROM callbacks
       WHERE service_name = $1 AND state = 'COMPLETED' AND updated_at > $2
         AND reason IS DISTINCT FROM 'CANCELLED'`,
      [serviceName, date(since)],
    );
    return rows[0]?.wait ?? undefined;
  }

  async complete(id: string, reason: string, now: number): Promise<void> {
    await this.client.query(
      `UPDATE callbacks SET state = 'COMPLETED', reason = $2, updated_at = $3,
         claimed_by = NULL, claim_expires_at = NULL, next_attempt_at = NULL
       WHERE id = $1`,
      [id, reason, date(now)],
    );
  }

  async update(
    id: string,
    change: {
      state: CallbackState;
      reason: string | null;
      desiredTime: number;
      scheduled: boolean;
      expirationTime: number;
      properties: Readonly<Record<string, string>>;
      now: number;
    },
  ): Promise<CallbackRow> {
    const rows = await this.client.query<DbRow>(
      `UPDATE callbacks SET state = $2, reason = $3, desired_time = $4, scheduled = $5,
         expiration_time = $6, properties = $7, updated_at = $8, next_attempt_at = NULL
       WHERE id = $1 RETURNING *`,
      [
        id,
        change.state,
        change.reason,
        date(change.desiredTime),
        change.scheduled,
        date(change.expirationTime),
        JSON.stringify(change.properties),
        date(change.now),
      ],
    );
    return toRow(firstRow(rows));
  }
}

function firstRow<Row>(rows: Row[]): Row {
  const row = rows[0];
  if (row === undefined) throw new Error("Statement returned no row");
  return row;
}

/** The row a start inserted, as `toRow` would read it back: the start knows every column. */
function newRow(callback: NewCallback, properties: Readonly<Record<string, string>>): CallbackRow {
  return {
    id: callback.id,
    serviceName: callback.serviceName,
    state: callback.state,
    reason: null,
    customerNumber: callback.customerNumber,
    desiredTime: callback.desiredTime,
    scheduled: callback.scheduled,
    expirationTime: callback.expirationTime,
    createdAt: callback.now,
    updatedAt: callback.now,
    properties: Object.assign(Object.create(null) as Record<string, string>, properties),
    attempts: 0,
    nextAttemptAt: null,
    lastError: null,
    orsSessionId: null,
  };
}

/**
 * What a rule counts, as the name of its lock. Two transactions wait for each other only when one
 * could change a count the other reads: starts for different numbers, parameter values and time
 * buckets run side by side, and only immediate starts of one service queue behind one another (the
 * queue cap counts the whole service).
 */
export type RuleLock =
  | { readonly rule: "queue" }
  | { readonly rule: "number"; readonly customerNumber: string }
  | { readonly rule: "throttle"; readonly parameter: string; readonly value: string }
  | { readonly rule: "bucket"; readonly start: number }
  // Access numbers are one pool for every service of the database: a number is dialled, whoever
  // booked it, so its lock is not the service's.
  | { readonly rule: "access-numbers" };

function ruleLockKey(serviceName: string, lock: RuleLock): string {
  const name = (...parts: (string | number)[]): string =>
    JSON.stringify(["callback-api", serviceName, lock.rule, ...parts]);
  switch (lock.rule) {
    case "queue":
      return name();
    case "number":
      return name(lock.customerNumber);
    case "throttle":
      return name(lock.parameter, lock.value);
    case "bucket":
      return name(lock.start);
    case "access-numbers":
      return JSON.stringify(["callback-api", "access-numbers"]);
  }
}

/** Takes the advisory locks named in `$1` (text[]), in key order. */
const LOCK_ALL_SQL = `SELECT count(pg_advisory_xact_lock(key)) FROM (
  SELECT DISTINCT hashtextextended(name, 0) AS key FROM unnest($1::text[]) AS name ORDER BY key) AS keys`;

/**
 * Lanes of a service's rate throttles (ADR 0120): every start holds one from before it counts the
 * windows until it commits, so at most this many starts of a service are uncommitted while one
 * counts. More than the connections of three replicas with the default pool of 10, so a free lane
 * is the rule; with more connections the extra starts take every lane (correct, slower).
 */
export const RATE_LANES = 32;

/** How a start holds the service's rate lanes: one of them, or all of them. */
export type RateHold = "lane" | "all";

function rateLanePrefix(serviceName: string): string {
  return `${JSON.stringify(["callback-api", serviceName, "rate-lane"])}:`;
}

/** The advisory lock name of one of a service's rate lanes (hashed as rule lock names are). */
export function rateLaneName(serviceName: string, lane: number): string {
  return `${rateLanePrefix(serviceName)}${lane}`;
}

/** One window of the per-service rate: starts created after `since` (ms), at most `limit`. */
export interface RateWindow {
  readonly since: number;
  readonly limit: number;
}

/**
 * What a start checks before its insert, in this order (callback-service.ts words the refusals):
 * the rate windows, the daily throttles, in-queue checking, the queue cap, the time bucket, and a
 * user-originated start's access number. Undefined: the rule does not apply to this start.
 */
export interface StartChecks {
  readonly locks: readonly RuleLock[];
  readonly hold: RateHold;
  readonly rate: readonly [RateWindow, RateWindow];
  /** `_throttle_request_parameters` values, `[parameter, value]`, counted per UTC day. */
  readonly throttles: {
    readonly values: readonly (readonly [string, string])[];
    readonly day: string;
    readonly limit: number;
  };
  /** Active callbacks of the number allowed (1 strict, 2 true). */
  readonly inQueueLimit: number | undefined;
  readonly queueCap: number | undefined;
  /** The scheduled time's bucket [from, to) and how many callbacks it holds. */
  readonly bucket:
    { readonly from: number; readonly to: number; readonly limit: number } | undefined;
  /** The pool to book from; `properties` are the booking's, but its number (known once booked). */
  readonly access:
    | {
        readonly numbers: readonly string[];
        readonly resourceGroup: string;
        readonly code: string | null;
        readonly expiresAt: number;
        readonly properties: Readonly<Record<string, string>>;
      }
    | undefined;
}

/** A start's result: admitted (with its booked number), to run again on all lanes, or refused by a rule. */
export type StartOutcome =
  | { readonly outcome: "admitted"; readonly row: CallbackRow; readonly booked: string | undefined }
  | { readonly outcome: "contended" }
  | { readonly outcome: "rate"; readonly window: 1 | 2 }
  | { readonly outcome: "throttle"; readonly parameter: string; readonly value: string }
  | { readonly outcome: "in-queue"; readonly active: number }
  | { readonly outcome: "queue-cap" }
  | { readonly outcome: "bucket" }
  | { readonly outcome: "access"; readonly freeAt: number | undefined };

/** The start: every check and the insert in one call of the function of migration 5. */
const START_STATEMENT: PreparedStatement = {
  name: "callback-api-start-v5",
  text: `SELECT outcome, n, booked, free_at FROM callback_api_start(${Array.from(
    { length: 33 },
    (_, i) => `$${i + 1}`,
  ).join(", ")})`,
};

/** The parameters of `START_STATEMENT`, in the order of `callback_api_start` (migration 5). */
function startParams(callback: NewCallback, checks: StartChecks): unknown[] {
  const [first, second] = checks.rate;
  const { bucket, access } = checks;
  return [
    checks.hold,
    checks.locks.map((lock) => ruleLockKey(callback.serviceName, lock)),
    rateLanePrefix(callback.serviceName),
    // Lanes are tried from a random one on, so that starts rarely try the same lanes first.
    Math.floor(Math.random() * RATE_LANES),
    RATE_LANES,
    date(first.since),
    first.limit,
    date(second.since),
    second.limit,
    checks.throttles.values.map(([parameter]) => parameter),
    checks.throttles.values.map(([, value]) => value),
    checks.throttles.day,
    checks.throttles.limit,
    checks.inQueueLimit ?? null,
    checks.queueCap ?? null,
    QUEUED_STATES,
    ...(bucket === undefined
      ? [null, null, null]
      : [date(bucket.from), date(bucket.to), bucket.limit]),
    ...(access === undefined
      ? [null, null, null, null, null]
      : [
          access.numbers,
          access.resourceGroup,
          access.code,
          date(access.expiresAt),
          JSON.stringify(access.properties),
        ]),
    ...rowParams(callback),
  ];
}

/** A new row's columns, in the order of the INSERT and of the start function's last arguments. */
function rowParams(callback: NewCallback): unknown[] {
  return [
    callback.id,
    callback.serviceName,
    callback.state,
    callback.customerNumber,
    date(callback.desiredTime),
    callback.scheduled,
    date(callback.expirationTime),
    date(callback.now),
    JSON.stringify(callback.properties),
  ];
}

interface StartAnswer {
  outcome: string;
  n: number | null;
  booked: string | null;
  free_at: Date | null;
}

function startOutcome(
  answer: StartAnswer,
  callback: NewCallback,
  checks: StartChecks,
): StartOutcome {
  switch (answer.outcome) {
    case "admitted": {
      const booked = answer.booked ?? undefined;
      const properties =
        booked === undefined || checks.access === undefined
          ? callback.properties
          : { ...callback.properties, ...checks.access.properties, _access_number: booked };
      return { outcome: "admitted", row: newRow(callback, properties), booked };
    }
    case "contended":
    case "queue-cap":
    case "bucket":
      return { outcome: answer.outcome };
    case "rate":
      return { outcome: "rate", window: answer.n === 2 ? 2 : 1 };
    case "throttle": {
      const [parameter, value] = checks.throttles.values[(answer.n ?? 1) - 1] ?? ["", ""];
      return { outcome: "throttle", parameter, value };
    }
    case "in-queue":
      return { outcome: "in-queue", active: answer.n ?? 0 };
    case "access":
      return { outcome: "access", freeAt: answer.free_at?.getTime() };
    default:
      throw new Error(`callback_api_start answered an unknown outcome ${answer.outcome}`);
  }
}

export class Store extends StoreQueries {
  readonly db: Database;
  readonly #heavy: QuerySlots;

  constructor(db: Database) {
    super(db);
    this.db = db;
    this.#heavy = new QuerySlots(db.heavyQuerySlots, STATEMENT_TIMEOUT_MS.request);
  }

  /** Property-filter queries hold at most `db.heavyQuerySlots` connections at once. */
  override async query(query: CallbackQuery): Promise<CallbackRow[]> {
    return this.#heavy.run(() => super.query(query));
  }

  override async adminQuery(query: AdminQuery): Promise<CallbackRow[]> {
    return this.#heavy.run(() => super.adminQuery(query));
  }

  /**
   * Runs `fn` in a transaction holding the advisory locks of the rules it checks (see `RuleLock`),
   * so a rule's count and the write it guards cannot interleave with another replica's. All locks
   * are taken by one statement in key order, so two transactions never wait for each other in a
   * cycle.
   */
  async inRuleTransaction<T>(
    serviceName: string,
    locks: readonly RuleLock[],
    fn: (tx: StoreQueries) => Promise<T>,
  ): Promise<T> {
    const names = locks.map((lock) => ruleLockKey(serviceName, lock));
    return this.db.transaction(async (client) => {
      if (names.length > 0) await client.query(`SELECT (${LOCK_ALL_SQL}) AS locked`, [names]);
      return fn(new StoreQueries(client));
    });
  }

  /**
   * Starts a callback in one statement round trip (ADR 0121): the function of migration 5 takes the
   * rule locks and the service's rate lanes as `inRuleTransaction` and ADR 0120 do, runs the
   * checks, books the access number and inserts, in the statement's own transaction. `hold`
   * `"lane"`: one free lane of `RATE_LANES`, taken without waiting; `"all"`: every lane, before the
   * rule locks. A start that waits for lanes holds no rule lock, and one that holds a single lane
   * never waits for a lane, so lanes add no cycle of waits.
   */
  async start(callback: NewCallback, checks: StartChecks): Promise<StartOutcome> {
    const rows = await this.db.query<StartAnswer>(START_STATEMENT, startParams(callback, checks));
    return startOutcome(firstRow(rows), callback, checks);
  }

  async transaction<T>(fn: (tx: StoreQueries) => Promise<T>): Promise<T> {
    return this.db.transaction(async (client) => fn(new StoreQueries(client)));
  }

  async ping(): Promise<void> {
    await this.db.ping();
  }

  async registerService(entry: ServiceEntry, now: number): Promise<void> {
    await this.db.query(
      `INSERT INTO services (name, service_groups, updated_at) VALUES ($1, $2, $3)
       ON CONFLICT (name) DO UPDATE SET service_groups = EXCLUDED.service_groups, updated_at = EXCLUDED.updated_at`,
      [entry.name, JSON.stringify(entry.serviceGroups), date(now)],
    );
  }

  async listServices(): Promise<ServiceEntry[]> {
    const rows = await this.db.query<{ name: string; service_groups: string[] }>(
      "SELECT name, service_groups FROM services ORDER BY name",
    );
    return rows.map((row) => ({ name: row.name, serviceGroups: row.service_groups }));
  }

  async queuedCounts(): Promise<Map<string, number>> {
    // The kept counts (ADR 0137): one row per service and state, and the deltas not yet folded.
    const rows = await this.db.query<{ service_name: string; count: number }>(
      `SELECT service_name, sum(n)::int AS count FROM (
         SELECT service_name, n FROM callback_counts WHERE kind = ANY($1::text[])
         UNION ALL
         SELECT service_name, n FROM callback_count_deltas WHERE kind = ANY($1::text[])) AS kept
       GROUP BY service_name HAVING sum(n) > 0`,
      [QUEUED_STATES.map((state) => `state:${state}`)],
    );
    return new Map(rows.map((row) => [row.service_name, row.count]));
  }

  // --- dispatch -------------------------------------------------------------------------------

  /** SCHEDULED callbacks whose time (less the execution buffer) has come move to QUEUED. */
  async promoteDue(serviceName: string, dueBefore: number, now: number): Promise<number> {
    const rows = await this.db.query<{ id: string }>(
      `UPDATE callbacks SET state = 'QUEUED', updated_at = $3
       WHERE service_name = $1 AND state = 'SCHEDULED' AND desired_time <= $2 RETURNING id`,
      [serviceName, date(dueBefore), date(now)],
    );
    return rows.length;
  }

  /** Claims whose owner died (lease expired) go back to the queue: at-least-once, not never. */
  async releaseExpiredClaims(serviceName: string, now: number): Promise<number> {
    const rows = await this.db.query<{ id: string }>(
      `UPDATE callbacks SET state = 'QUEUED', claimed_by = NULL, claim_expires_at = NULL, updated_at = $2
       WHERE service_name = $1 AND state = 'ROUTING' AND claim_expires_at < $2 RETURNING id`,
      [serviceName, date(now)],
    );
    return rows.length;
  }

  /**
   * Claims up to `limit` QUEUED callbacks for one worker. SKIP LOCKED makes concurrent claimers
   * (other replicas) pass over rows another transaction holds, so each row is claimed exactly once.
   */
  async claim(
    serviceName: string,
    worker: string,
    now: number,
    lease: { ms: number; limit: number; onlyWithOwnOrs: boolean },
  ): Promise<CallbackRow[]> {
    // A MATERIALIZED CTE runs the locking SELECT once. As an `IN (subquery)` the planner may run it
    // once per outer row, and SKIP LOCKED would then hand out a different batch each time.
    const rows = await this.db.query<DbRow>(
      `WITH picked AS MATERIALIZED (
         SELECT id FROM callbacks
         WHERE service_name = $1 AND state = 'QUEUED' AND ors_session_id IS NULL
           AND (next_attempt_at IS NULL OR next_attempt_at <= $3)
           AND (NOT $6::boolean OR properties ->> '_ors' IS NOT NULL)
         ORDER BY desired_time, id
         LIMIT $5
         FOR UPDATE SKIP LOCKED)
       UPDATE callbacks AS c SET state = 'ROUTING', claimed_by = $2, claim_expires_at = $4,
         attempts = c.attempts + 1, updated_at = $3
       FROM picked
       WHERE c.id = picked.id
       RETURNING c.*`,
      [serviceName, worker, date(now), date(now + lease.ms), lease.limit, lease.onlyWithOwnOrs],
    );
    return rows.map(toRow);
  }

  /**
   * Ends a claim; false when the claim was lost (cancelled meanwhile, or lease expired and
   * re-claimed). `error` is why a failed one failed, kept in `last_error`.
   */
  async finishClaim(
    claim: CallbackRow,
    worker: string,
    reason: string,
    now: number,
    error: string | null = null,
  ): Promise<boolean> {
    const rows = await this.db.query<{ id: string }>(
      `UPDATE callbacks SET state = 'COMPLETED', reason = $4, claimed_by = NULL, claim_expires_at = NULL,
         last_error = $6, updated_at = $5
       WHERE id = $1 AND state = 'ROUTING' AND claimed_by = $2 AND attempts = $3 RETURNING id`,
      [claim.id, worker, claim.attempts, reason, date(now), error?.slice(0, 1000) ?? null],
    );
    return rows.length === 1;
  }

  /**
   * Ends a claim by handing the callback to the ORS session that accepted it: QUEUED again, as GMS
   * shows a callback while ORS holds it, and never claimed again (`ors_session_id` is set); the
   * session reports what follows. False when the claim was lost.
   */
  async handOffClaim(
    claim: CallbackRow,
    worker: string,
    sessionId: string,
    now: number,
  ): Promise<boolean> {
    const rows = await this.db.query<{ id: string }>(
      `UPDATE callbacks SET state = 'QUEUED', ors_session_id = $4, claimed_by = NULL,
         claim_expires_at = NULL, next_attempt_at = NULL, last_error = NULL, updated_at = $5
       WHERE id = $1 AND state = 'ROUTING' AND claimed_by = $2 AND attempts = $3 RETURNING id`,
      [claim.id, worker, claim.attempts, sessionId, date(now)],
    );
    return rows.length === 1;
  }

  async retryClaim(
    claim: CallbackRow,
    worker: string,
    nextAttemptAt: number,
    error: string,
    now: number,
  ): Promise<boolean> {
    const rows = await this.db.query<{ id: string }>(
      `UPDATE callbacks SET state = 'QUEUED', claimed_by = NULL, claim_expires_at = NULL,
         next_attempt_at = $4, last_error = $5, updated_at = $6
       WHERE id = $1 AND state = 'ROUTING' AND claimed_by = $2 AND attempts = $3 RETURNING id`,
      [claim.id, worker, claim.attempts, date(nextAttemptAt), error.slice(0, 1000), date(now)],
    );
    return rows.length === 1;
  }

  /**
   * PGlite has no autovacuum: every update and delete leaves a dead row version that no insert
   * reuses until a VACUUM, so its files only grow. Measured on `callbacks` holding 100,000 rows at a
   * steady 33 starts a second (each claimed, completed and purged): 1.95 MiB a minute without, a
   * flat table with (ADR 0138). The folded count deltas (ADR 0137) are dead rows too: about 56 bytes
   * a start. The maintenance pass calls this once a minute; VACUUM reads only the pages written
   * since the last one (20–40 ms there, while the one connection waits). On PostgreSQL autovacuum
   * does it, as for every table.
   */
  async reclaimDeadRows(): Promise<void> {
    if (this.db.kind === "pglite") await this.db.exec(`VACUUM ${SCHEMA_TABLES.join(", ")}`);
  }

  /** `_ttl`: records are kept this long after their desired time, then deleted. */
  async purgeExpired(serviceName: string, now: number, today: string): Promise<number> {
    return this.db.transaction(async (tx) => {
      const rows = await tx.query<{ id: string }>(
        "DELETE FROM callbacks WHERE service_name = $1 AND expiration_time < $2 RETURNING id",
        [serviceName, date(now)],
      );
      await tx.query("DELETE FROM throttle_counters WHERE service_name = $1 AND day < $2", [
        serviceName,
        today,
      ]);
      // Expired bookings are free already; this only keeps the table small.
      await tx.query("DELETE FROM access_bookings WHERE service_name = $1 AND expires_at <= $2", [
        serviceName,
        date(now),
      ]);
      return rows.length;
    }, "maintenance");
  }
}
