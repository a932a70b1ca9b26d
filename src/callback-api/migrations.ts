// Schema migrations: an ordered list, applied in one transaction under an advisory lock so that
// replicas starting together take turns; the second finds the work done.
import type { Database } from "./database.ts";

interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** How `callback_api_start` counts the rate windows, the queue cap and the time bucket: SQL
 * setting `v_count_1`, `v_count_2` (the windows) and `v_counted` (the queue, the bucket). */
interface StartCounts {
  readonly rate: string;
  readonly queueCap: string;
  readonly bucket: string;
}

/** Migration 5: counting the service's rows. */
const ROW_COUNTS: StartCounts = {
  rate: `        -- The per-service rate: both windows in one range scan, the first window first.
        SELECT count(*) FILTER (WHERE c.created_at > p_rate_since_1),
               count(*) FILTER (WHERE c.created_at > p_rate_since_2)
        INTO v_count_1, v_count_2
        FROM callbacks c
        WHERE c.service_name = p_service
          AND c.created_at > LEAST(p_rate_since_1, p_rate_since_2);
`,
  queueCap: `          SELECT count(*) INTO v_counted FROM callbacks c
          WHERE c.service_name = p_service AND c.state = ANY(p_queued_states);
`,
  bucket: `          SELECT count(*) INTO v_counted FROM callbacks c
          WHERE c.service_name = p_service AND c.scheduled
            AND c.desired_time >= p_bucket_from AND c.desired_time < p_bucket_to
            AND NOT (c.state = 'COMPLETED' AND c.reason IS NOT DISTINCT FROM 'CANCELLED');
`,
};

/** Migration 6: reading the kept counts (ADR 0137). */
const KEPT_COUNTS: StartCounts = {
  rate: `        -- The per-service rate from the kept counts, the first window first.
        v_count_1 := callback_api_count_created_since(p_service, p_rate_since_1);
        v_count_2 := callback_api_count_created_since(p_service, p_rate_since_2);
`,
  queueCap: `          v_counted := callback_api_count_states(p_service, p_queued_states);
`,
  bucket: `          v_counted := callback_api_count_bucket(p_service, p_bucket_from, p_bucket_to);
`,
};

/**
 * The start function (ADR 0121), one text for migration 5, which created it, and migration 6,
 * which replaced its three counts: the SQL a database at version 5 ran stays the same.
 */
function startFunction(
  create: "CREATE FUNCTION" | "CREATE OR REPLACE FUNCTION",
  counts: StartCounts,
): string {
  return `      ${create} callback_api_start(
        p_hold text, p_lock_names text[], p_lane_prefix text, p_lane_from integer,
        p_lanes integer,
        p_rate_since_1 timestamptz, p_rate_limit_1 integer,
        p_rate_since_2 timestamptz, p_rate_limit_2 integer,
        p_throttle_parameters text[], p_throttle_values text[], p_throttle_day text,
        p_throttle_limit integer,
        p_in_queue_limit integer, p_queue_cap integer, p_queued_states text[],
        p_bucket_from timestamptz, p_bucket_to timestamptz, p_bucket_limit integer,
        p_access_numbers text[], p_resource_group text, p_access_code text,
        p_access_expires_at timestamptz, p_access_properties jsonb,
        p_id text, p_service text, p_state text, p_customer_number text,
        p_desired_time timestamptz, p_scheduled boolean, p_expiration_time timestamptz,
        p_now timestamptz, p_properties jsonb,
        OUT outcome text, OUT n integer, OUT booked text, OUT free_at timestamptz)
      LANGUAGE plpgsql AS $fn$
      DECLARE
        v_count_1 integer;
        v_count_2 integer;
        v_counted integer;
        v_lane integer;
        v_properties jsonb := p_properties;
      BEGIN
        -- Locks, each group in key order (ADR 0011): every lane before the rule locks, or the rule
        -- locks and then one lane tried without waiting from a random one on (ADR 0120).
        IF p_hold = 'all' THEN
          PERFORM count(pg_advisory_xact_lock(k.key)) FROM (
            SELECT DISTINCT a.grp, a.key FROM (
              SELECT 0 AS grp, hashtextextended(p_lane_prefix || i::text, 0) AS key
              FROM generate_series(0, p_lanes - 1) AS i
              UNION ALL
              SELECT 1, hashtextextended(name, 0) FROM unnest(p_lock_names) AS name) AS a
            ORDER BY a.grp, a.key) AS k;
        ELSE
          PERFORM count(pg_advisory_xact_lock(k.key)) FROM (
            SELECT DISTINCT hashtextextended(name, 0) AS key FROM unnest(p_lock_names) AS name
            ORDER BY 1) AS k;
          SELECT (i + p_lane_from) % p_lanes INTO v_lane
          FROM generate_series(0, p_lanes - 1) AS i
          WHERE pg_try_advisory_xact_lock(
            hashtextextended(p_lane_prefix || ((i + p_lane_from) % p_lanes)::text, 0))
          LIMIT 1;
          IF v_lane IS NULL THEN
            outcome := 'contended';
            RETURN;
          END IF;
        END IF;

${counts.rate}        IF v_count_1 >= p_rate_limit_1 THEN
          outcome := 'rate'; n := 1; RETURN;
        END IF;
        IF p_hold = 'lane' AND v_count_1 + p_lanes > p_rate_limit_1 THEN
          outcome := 'contended'; RETURN;
        END IF;
        IF v_count_2 >= p_rate_limit_2 THEN
          outcome := 'rate'; n := 2; RETURN;
        END IF;
        IF p_hold = 'lane' AND v_count_2 + p_lanes > p_rate_limit_2 THEN
          outcome := 'contended'; RETURN;
        END IF;

        FOR i IN 1 .. coalesce(array_length(p_throttle_parameters, 1), 0) LOOP
          SELECT t.count INTO v_counted FROM throttle_counters t
          WHERE t.service_name = p_service AND t.parameter = p_throttle_parameters[i]
            AND t.value = p_throttle_values[i] AND t.day = p_throttle_day;
          IF coalesce(v_counted, 0) >= p_throttle_limit THEN
            outcome := 'throttle'; n := i; RETURN;
          END IF;
        END LOOP;

        IF p_in_queue_limit IS NOT NULL THEN
          SELECT count(*) INTO v_counted FROM callbacks c
          WHERE c.service_name = p_service AND c.customer_number = p_customer_number
            AND c.state <> 'COMPLETED';
          IF v_counted >= p_in_queue_limit THEN
            outcome := 'in-queue'; n := v_counted; RETURN;
          END IF;
        END IF;

        IF p_queue_cap IS NOT NULL THEN
${counts.queueCap}          IF v_counted >= p_queue_cap THEN
            outcome := 'queue-cap'; RETURN;
          END IF;
        END IF;

        -- Scheduled callbacks of the bucket; cancelled ones gave their slot back.
        IF p_bucket_limit IS NOT NULL THEN
${counts.bucket}          IF v_counted >= p_bucket_limit THEN
            outcome := 'bucket'; RETURN;
          END IF;
        END IF;

        IF p_access_numbers IS NOT NULL THEN
          booked := callback_api_book_access(p_access_numbers, p_resource_group, p_service, p_id,
            p_access_code, p_now, p_access_expires_at);
          IF booked IS NULL THEN
            SELECT min(b.expires_at) INTO free_at FROM access_bookings b
            WHERE b.access_number = ANY(p_access_numbers) AND b.expires_at > p_now;
            outcome := 'access'; RETURN;
          END IF;
          v_properties := v_properties || p_access_properties
            || jsonb_build_object('_access_number', booked);
        END IF;

        INSERT INTO callbacks (id, service_name, state, customer_number, desired_time, scheduled,
          expiration_time, created_at, updated_at, properties)
        VALUES (p_id, p_service, p_state, p_customer_number, p_desired_time, p_scheduled,
          p_expiration_time, p_now, p_now, v_properties);

        FOR i IN 1 .. coalesce(array_length(p_throttle_parameters, 1), 0) LOOP
          INSERT INTO throttle_counters AS t (service_name, parameter, value, day, count)
          VALUES (p_service, p_throttle_parameters[i], p_throttle_values[i], p_throttle_day, 1)
          ON CONFLICT (service_name, parameter, value, day) DO UPDATE SET count = t.count + 1;
        END LOOP;
        outcome := 'admitted';
      END
      $fn$;
`;
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: "callbacks",
    sql: `
      CREATE TABLE callbacks (
        id text PRIMARY KEY,
        service_name text NOT NULL,
        state text NOT NULL,
        reason text,
        customer_number text,
        desired_time timestamptz NOT NULL,
        scheduled boolean NOT NULL,
        expiration_time timestamptz NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        properties jsonb NOT NULL,
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz,
        claimed_by text,
        claim_expires_at timestamptz,
        last_error text
      );
      CREATE INDEX callbacks_service_desired ON callbacks (service_name, desired_time);
      CREATE INDEX callbacks_service_state ON callbacks (service_name, state);
      CREATE INDEX callbacks_customer_number ON callbacks (customer_number);
      CREATE INDEX callbacks_expiration ON callbacks (expiration_time);
      CREATE TABLE services (
        name text PRIMARY KEY,
        service_groups jsonb NOT NULL,
        updated_at timestamptz NOT NULL
      );
      CREATE TABLE throttle_counters (
        service_name text NOT NULL,
        parameter text NOT NULL,
        value text NOT NULL,
        day text NOT NULL,
        count integer NOT NULL,
        PRIMARY KEY (service_name, parameter, value, day)
      );
    `,
  },
  {
    // The per-service rate throttles count a service's callbacks created within a window.
    version: 2,
    name: "callbacks-created-index",
    sql: "CREATE INDEX callbacks_service_created ON callbacks (service_name, created_at);",
  },
  {
    // User-originated callbacks book an access number (ADR 0110). One row per number: a number
    // is booked by at most one callback of any service until `expires_at`; a row past it is free.
    version: 3,
    name: "access-bookings",
    sql: `
      CREATE TABLE access_bookings (
        access_number text PRIMARY KEY,
        resource_group text NOT NULL,
        service_name text NOT NULL,
        callback_id text NOT NULL,
        access_code text,
        booked_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL
      );
      CREATE INDEX access_bookings_callback ON access_bookings (callback_id);
      CREATE INDEX access_bookings_service_expires ON access_bookings (service_name, expires_at);
    `,
  },
  {
    // Dispatch by ORS session (ADR 0103): the id of the session that owns a handed-off callback,
    // as GMS keeps it (`_ors_session_id`). NULL: not handed off, the dispatcher may claim it.
    version: 4,
    name: "ors-session-id",
    sql: "ALTER TABLE callbacks ADD COLUMN ors_session_id text;",
  },
  {
    // A start in one round trip (ADR 0121): the rule checks, the access-number booking and the
    // insert run in one server-side function, under the same advisory locks and rate lanes as
    // before (ADR 0011, 0120), in the order callback-service.ts gives. Refusals are returned, not
    // raised: the program words them (it owns the messages) and nothing was written. The in-queue
    // count finds a number of a service through its own index instead of a bitmap AND with every
    // row of the service.
    version: 5,
    name: "start-function",
    sql: `
      CREATE INDEX callbacks_service_customer_number ON callbacks (service_name, customer_number);

      -- One of p_numbers, at random among those no booking holds (GMS "random and locking").
      CREATE FUNCTION callback_api_book_access(
        p_numbers text[], p_resource_group text, p_service text, p_callback_id text,
        p_access_code text, p_booked_at timestamptz, p_expires_at timestamptz)
      RETURNS text LANGUAGE sql AS $fn$
        INSERT INTO access_bookings (access_number, resource_group, service_name, callback_id,
          access_code, booked_at, expires_at)
        SELECT n, p_resource_group, p_service, p_callback_id, p_access_code, p_booked_at,
          p_expires_at
        FROM unnest(p_numbers) AS n
        WHERE NOT EXISTS (SELECT 1 FROM access_bookings b
                          WHERE b.access_number = n AND b.expires_at > p_booked_at)
        ORDER BY random() LIMIT 1
        ON CONFLICT (access_number) DO UPDATE SET resource_group = EXCLUDED.resource_group,
          service_name = EXCLUDED.service_name, callback_id = EXCLUDED.callback_id,
          access_code = EXCLUDED.access_code, booked_at = EXCLUDED.booked_at,
          expires_at = EXCLUDED.expires_at
          WHERE access_bookings.expires_at <= EXCLUDED.booked_at
        RETURNING access_number
      $fn$;

      -- outcome: admitted; contended (no free rate lane, or a window within p_lanes of its limit
      -- on one lane: run again with p_hold 'all'); rate (n: the full window, 1 or 2); throttle (n:
      -- the index of the value at its daily limit); in-queue (n: the number's active callbacks);
      -- queue-cap; bucket; access (free_at: when the first number is free again).
${startFunction("CREATE FUNCTION", ROW_COUNTS)}    `,
  },
  {
    // Counts kept, not counted (ADR 0137): the queue cap and the rate windows read per-service
    // counts instead of counting the service's rows, which cost a start time in proportion to the
    // queue and to the window (1.5-1.9 ms per count at 11,000 rows). Writers append signed deltas
    // (row triggers) and never update a shared row, so starts of one service do not queue behind
    // each other's commits; every 16th write folds its service's deltas into `callback_counts`
    // under a lock it only tries.
    // Every count means exactly what the rows said: deletes, state changes and copies move them.
    version: 6,
    name: "kept-counts",
    sql: `
      -- kind 'state:<STATE>' (slice 0): the service's callbacks in that state; kind 'created'
      -- (slice: the 10-second slice of created_at since the epoch): those created in the slice.
      CREATE TABLE callback_counts (
        service_name text NOT NULL,
        kind text NOT NULL,
        slice bigint NOT NULL,
        n bigint NOT NULL,
        PRIMARY KEY (service_name, kind, slice)
      );
      CREATE TABLE callback_count_deltas (
        service_name text NOT NULL,
        kind text NOT NULL,
        slice bigint NOT NULL,
        n bigint NOT NULL
      );
      CREATE INDEX callback_count_deltas_key ON callback_count_deltas (service_name, kind, slice);

      -- IMMUTABLE although extract() on timestamptz is STABLE: the epoch does not depend on the
      -- session's time zone, and an immutable function is inlined and folded into constants.
      CREATE FUNCTION callback_api_created_slice(p_at timestamptz) RETURNS bigint
      LANGUAGE sql IMMUTABLE AS $fn$ SELECT floor(extract(epoch FROM p_at) / 10)::bigint $fn$;

      -- Folds the service's deltas into its counts. Only one writer folds a service at a time (the
      -- others skip: their deltas wait for the next fold), so folding never waits for anyone.
      CREATE FUNCTION callback_api_fold_counts(p_service text) RETURNS void
      LANGUAGE plpgsql AS $fn$
      BEGIN
        IF NOT pg_try_advisory_xact_lock(hashtextextended('callback-counts:' || p_service, 0)) THEN
          RETURN;
        END IF;
        WITH moved AS (
          DELETE FROM callback_count_deltas WHERE service_name = p_service
          RETURNING kind, slice, n)
        INSERT INTO callback_counts AS c (service_name, kind, slice, n)
        SELECT p_service, kind, slice, sum(n) FROM moved GROUP BY kind, slice
        ON CONFLICT (service_name, kind, slice) DO UPDATE SET n = c.n + EXCLUDED.n;
        DELETE FROM callback_counts WHERE service_name = p_service AND n = 0;
      END
      $fn$;

      -- Every 16th write to callbacks (of any service) folds its service's deltas, so a count
      -- reads some 32 of them besides the folded rows.
      CREATE SEQUENCE callback_count_writes;

      -- A row trigger: the deltas of one row's write, in the writer's transaction. (A statement
      -- trigger with transition tables measured 200-270 us per single-row INSERT, this one far less.)
      CREATE FUNCTION callback_api_count_row() RETURNS trigger
      LANGUAGE plpgsql AS $fn$
      BEGIN
        IF TG_OP = 'UPDATE' AND OLD.service_name = NEW.service_name
           AND OLD.created_at = NEW.created_at THEN
          INSERT INTO callback_count_deltas (service_name, kind, slice, n) VALUES
            (OLD.service_name, 'state:' || OLD.state, 0, -1),
            (NEW.service_name, 'state:' || NEW.state, 0, 1);
        ELSE
          IF TG_OP <> 'INSERT' THEN
            INSERT INTO callback_count_deltas (service_name, kind, slice, n) VALUES
              (OLD.service_name, 'state:' || OLD.state, 0, -1),
              (OLD.service_name, 'created', callback_api_created_slice(OLD.created_at), -1);
          END IF;
          IF TG_OP <> 'DELETE' THEN
            INSERT INTO callback_count_deltas (service_name, kind, slice, n) VALUES
              (NEW.service_name, 'state:' || NEW.state, 0, 1),
              (NEW.service_name, 'created', callback_api_created_slice(NEW.created_at), 1);
          END IF;
        END IF;
        IF nextval('callback_count_writes') % 16 = 0 THEN
          PERFORM callback_api_fold_counts(
            CASE WHEN TG_OP = 'DELETE' THEN OLD.service_name ELSE NEW.service_name END);
        END IF;
        RETURN NULL;
      END
      $fn$;

      -- TRUNCATE fires no row trigger: it empties every count with the table.
      CREATE FUNCTION callback_api_forget_counts() RETURNS trigger
      LANGUAGE plpgsql AS $fn$
      BEGIN
        DELETE FROM callback_count_deltas;
        DELETE FROM callback_counts;
        RETURN NULL;
      END
      $fn$;

      -- Creating a trigger locks callbacks against writes until this migration commits, so no row
      -- written by a replica still on the previous version slips between the triggers and the
      -- counts of the rows already there. Updates that leave the three counted columns as they
      -- were (properties, claims, times) do not call the function at all.
      CREATE TRIGGER callbacks_count_rows AFTER INSERT OR DELETE ON callbacks
        FOR EACH ROW EXECUTE FUNCTION callback_api_count_row();
      CREATE TRIGGER callbacks_count_changes AFTER UPDATE OF state, service_name, created_at
        ON callbacks FOR EACH ROW
        WHEN (OLD.state IS DISTINCT FROM NEW.state
              OR OLD.service_name IS DISTINCT FROM NEW.service_name
              OR OLD.created_at IS DISTINCT FROM NEW.created_at)
        EXECUTE FUNCTION callback_api_count_row();
      CREATE TRIGGER callbacks_count_truncates AFTER TRUNCATE ON callbacks
        FOR EACH STATEMENT EXECUTE FUNCTION callback_api_forget_counts();
      INSERT INTO callback_counts (service_name, kind, slice, n)
      SELECT service_name, 'state:' || state, 0, count(*) FROM callbacks GROUP BY 1, 2
      UNION ALL
      SELECT service_name, 'created', callback_api_created_slice(created_at), count(*)
      FROM callbacks GROUP BY 1, 3;

      -- The service's callbacks in any of p_states, committed before this statement began.
      -- PL/pgSQL, not SQL: a backend keeps a PL/pgSQL function's plans, where a SQL function
      -- called from PL/pgSQL is planned again on every call (measured: 0.34 ms a call).
      CREATE FUNCTION callback_api_count_states(p_service text, p_states text[])
      RETURNS bigint LANGUAGE plpgsql STABLE AS $fn$
      BEGIN
        RETURN (SELECT coalesce(sum(n), 0)::bigint FROM (
          SELECT c.n FROM callback_counts c
          WHERE c.service_name = p_service AND c.kind = ANY(
            SELECT 'state:' || s FROM unnest(p_states) AS s) AND c.slice = 0
          UNION ALL
          SELECT d.n FROM callback_count_deltas d
          WHERE d.service_name = p_service AND d.kind = ANY(
            SELECT 'state:' || s FROM unnest(p_states) AS s) AND d.slice = 0) AS counted);
      END
      $fn$;

      -- The service's callbacks created in p_since's slice after p_since, from the rows. Planned
      -- for each call: a plan cached while callbacks was nearly empty (and PGlite never analyses)
      -- picked an index on the service alone and read every row of it (measured: 6.8 ms at 4,000).
      CREATE FUNCTION callback_api_count_created_in_slice(p_service text, p_since timestamptz)
      RETURNS bigint LANGUAGE plpgsql STABLE SET plan_cache_mode = force_custom_plan AS $fn$
      BEGIN
        RETURN (SELECT count(*) FROM callbacks r
                WHERE r.service_name = p_service AND r.created_at > p_since
                  AND r.created_at < to_timestamp((callback_api_created_slice(p_since) + 1) * 10));
      END
      $fn$;

      -- Scheduled callbacks of the bucket; cancelled ones gave their slot back. Planned for each
      -- call, like the slice's rows above: a cached plan read every row of the service (the
      -- benchmark's scheduled starts slowed from 1,600 to 970 a second over 6,000 rows).
      CREATE FUNCTION callback_api_count_bucket(
        p_service text, p_from timestamptz, p_to timestamptz)
      RETURNS integer LANGUAGE plpgsql STABLE SET plan_cache_mode = force_custom_plan AS $fn$
      BEGIN
        RETURN (SELECT count(*) FROM callbacks c
                WHERE c.service_name = p_service AND c.scheduled
                  AND c.desired_time >= p_from AND c.desired_time < p_to
                  AND NOT (c.state = 'COMPLETED' AND c.reason IS NOT DISTINCT FROM 'CANCELLED'));
      END
      $fn$;

      -- The service's callbacks created after p_since: the slices after p_since's from the counts,
      -- and the rows of p_since's own slice (at most ten seconds of starts) only when it has any.
      CREATE FUNCTION callback_api_count_created_since(p_service text, p_since timestamptz)
      RETURNS bigint LANGUAGE plpgsql STABLE AS $fn$
      DECLARE
        v_slice bigint := callback_api_created_slice(p_since);
        v_after bigint;
        v_in_slice bigint;
      BEGIN
        SELECT coalesce(sum(n) FILTER (WHERE slice > v_slice), 0),
               coalesce(sum(n) FILTER (WHERE slice = v_slice), 0)
        INTO v_after, v_in_slice
        FROM (SELECT c.slice, c.n FROM callback_counts c
              WHERE c.service_name = p_service AND c.kind = 'created' AND c.slice >= v_slice
              UNION ALL
              SELECT d.slice, d.n FROM callback_count_deltas d
              WHERE d.service_name = p_service AND d.kind = 'created'
                AND d.slice >= v_slice) AS kept;
        IF v_in_slice = 0 THEN
          RETURN v_after;
        END IF;
        RETURN v_after + callback_api_count_created_in_slice(p_service, p_since);
      END
      $fn$;

${startFunction("CREATE OR REPLACE FUNCTION", KEPT_COUNTS)}    `,
  },
];

/** Arbitrary constant naming this schema's lock among other advisory locks in a shared database. */
const MIGRATION_LOCK = 7_413_001;

/** The database holds migrations this program does not know: a newer version wrote it. */
export class SchemaTooNewError extends Error {
  override readonly name = "SchemaTooNewError";
  readonly found: number;
  readonly known: number;

  constructor(found: number, known: number) {
    super(`schema version ${found} is newer than this program's ${known}`);
    this.found = found;
    this.known = known;
  }
}

export interface MigrationResult {
  readonly applied: readonly string[];
  readonly version: number;
}

export async function migrate(db: Database): Promise<MigrationResult> {
  // Migrations may rewrite a whole table: they run under the long statement timeout.
  return db.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
    await tx.exec(`
      CREATE TABLE IF NOT EXISTS callback_api_migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
    const done = await tx.query<{ version: number }>("SELECT version FROM callback_api_migrations");
    const doneVersions = new Set(done.map((row) => row.version));
    const known = Math.max(0, ...migrations.map((m) => m.version));
    const found = Math.max(0, ...doneVersions);
    // An older program on a newer schema would read and write columns it does not know of.
    if (found > known) throw new SchemaTooNewError(found, known);
    const applied: string[] = [];
    for (const migration of migrations) {
      if (doneVersions.has(migration.version)) continue;
      await tx.exec(migration.sql);
      await tx.query("INSERT INTO callback_api_migrations (version, name) VALUES ($1, $2)", [
        migration.version,
        migration.name,
      ]);
      applied.push(`${migration.version}-${migration.name}`);
    }
    return { applied, version: known };
  }, "migration");
}
