// Counting rules under concurrency, as two replicas on one PostgreSQL see it: however many starts
// race, the queue cap, the per-service rate, the daily throttle, in-queue checking and the time
// bucket admit exactly their limit. Each rule locks only what it counts, so starts that cannot affect each other do not wait.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CallbackService } from "../../src/callback-api/callback-service.ts";
import { ManualClock } from "../../src/runtime/clock.ts";
import { postgresDatabase, type Database } from "../../src/callback-api/database.ts";
import { CallbackError } from "../../src/callback-api/errors.ts";
import { migrate } from "../../src/callback-api/migrations.ts";
import { resolveOptions } from "../../src/callback-api/options.ts";
import { RATE_LANES, Store, rateLaneName } from "../../src/callback-api/store.ts";
import { PERMISSIVE, START, uniqueService } from "./support/app.ts";
import { createPostgresDatabase, openStore } from "./support/databases.ts";

const T0 = Date.parse(START);
const iso = (ms: number): string => new Date(ms).toISOString();

describe("counting rules with two replicas on postgres", () => {
  let drop: () => Promise<void>;
  const dbs: Database[] = [];
  const stores: Store[] = [];
  beforeAll(async () => {
    const created = await createPostgresDatabase();
    drop = created.drop;
    for (let i = 0; i < 2; i++) {
      const db = postgresDatabase(created.url, 10);
      dbs.push(db);
      stores.push(new Store(db));
    }
    await migrate(dbs[0]!);
  });
  afterAll(async () => {
    for (const db of dbs) await db.close();
    await drop();
  });

  /** One CallbackService per replica over the same options; starts alternate between them. */
  function replicas(raw: Record<string, string>) {
    const serviceName = uniqueService("race");
    const options = resolveOptions(serviceName, { ...PERMISSIVE, ...raw });
    const clock = new ManualClock(START);
    const services = stores.map(
      (store) => new CallbackService({ store, clock, options: () => options }),
    );
    return {
      serviceName,
      async race(count: number, params: (i: number) => Record<string, string>) {
        const outcomes = await Promise.allSettled(
          Array.from({ length: count }, (_, i) => services[i % services.length]!.start(params(i))),
        );
        const refusals = outcomes.flatMap((o) =>
          o.status === "rejected" ? [(o.reason as CallbackError).exception] : [],
        );
        return { admitted: count - refusals.length, refusals: new Set(refusals) };
      },
    };
  }

  it("admits exactly the queue cap of immediate callbacks", async () => {
    const r = replicas({ _max_queued_callbacks_per_service: "5" });
    const { admitted, refusals } = await r.race(40, (i) => ({ _customer_number: `5100${i}` }));
    expect(admitted).toBe(5);
    expect(refusals).toEqual(new Set(["CallbackExceptionServiceUnavailable"]));
  });

  it("admits exactly the daily throttle of one number", async () => {
    const r = replicas({ _throttle_request_parameters_limit: "3" });
    const { admitted } = await r.race(20, () => ({ _customer_number: "5115" }));
    expect(admitted).toBe(3);
  });

  it("admits exactly one active callback per number with strict in-queue checking", async () => {
    const r = replicas({ _enable_in_queue_checking: "strict" });
    const { admitted, refusals } = await r.race(12, () => ({ _customer_number: "5116" }));
    expect(admitted).toBe(1);
    expect(refusals).toEqual(new Set(["CallbackExceptionAlreadyQueued"]));
  });

  it("admits exactly the bucket's capacity of scheduled callbacks", async () => {
    const r = replicas({ _max_request_by_time_bucket: "4" });
    const { admitted, refusals } = await r.race(20, (i) => ({
      _customer_number: `5200${i}`,
      _desired_time: iso(T0 + 3_600_000 + i * 1_000),
    }));
    expect(admitted).toBe(4);
    expect(refusals).toEqual(new Set(["CallbackExceptionTimeSlotFull"]));
  });

  it("admits exactly the per-service rate, immediate and scheduled starts together", async () => {
    const r = replicas({ _throttle_callbacks_per_service_1: "4", _throttle_ttl_1: "60" });
    const { admitted, refusals } = await r.race(12, (i) =>
      i % 2 === 0
        ? { _customer_number: String(5600 + i) }
        : { _customer_number: String(5600 + i), _desired_time: iso(T0 + 3_600_000) },
    );
    expect(admitted).toBe(4);
    expect(refusals).toEqual(new Set(["CallbackExceptionServiceUnavailable"]));
  });

  // ADR 0120: far from its limit a start holds one of RATE_LANES rate lanes and counts what is
  // committed; the race crosses from lanes to all lanes at RATE_LANES below the limit, and the
  // limit still holds exactly (ThrottlePreventHighRateTests, GMS-4804: no start past the limit).
  it("admits exactly the per-service rate when the race begins on the rate lanes", async () => {
    const limit = RATE_LANES + 8;
    const r = replicas({ _throttle_callbacks_per_service_2: String(limit), _throttle_ttl_2: "60" });
    // Scheduled in buckets of their own: no start waits for another's rule lock (an immediate start
    // would take the service's queue lock), so only the lanes stand between them.
    const { admitted, refusals } = await r.race(limit * 3, (i) => ({
      _customer_number: String(5700 + i),
      _desired_time: iso(T0 + 3_600_000 + i * 3_600_000),
    }));
    expect(admitted).toBe(limit);
    expect(refusals).toEqual(new Set(["CallbackExceptionServiceUnavailable"]));
  });

  it("lets starts of one service run side by side far from the rate limit, in turn near it", async () => {
    const serviceName = uniqueService("lanes");
    const [first, second] = stores as [Store, Store];
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    // Replica 1 holds one of the service's rate lanes, uncommitted, until released, as a start
    // between its count and its commit does.
    const holder = first.db.transaction(async (client) => {
      await client.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [
        rateLaneName(serviceName, 0),
      ]);
      await held;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const service = (limit: number): CallbackService => {
      const options = resolveOptions(serviceName, {
        ...PERMISSIVE,
        _throttle_callbacks_per_service_1: String(limit),
      });
      return new CallbackService({
        store: second,
        clock: new ManualClock(START),
        options: () => options,
      });
    };
    // Far from the limit: admitted on another lane while the holder waits.
    await service(RATE_LANES + 2).start({ _customer_number: "5801" });
    // At the limit: the committed starts fill the window whatever is uncommitted, so the refusal
    // needs no other lane and does not wait (GMS-4804's 503).
    await expect(service(1).start({ _customer_number: "5803" })).rejects.toMatchObject({
      exception: "CallbackExceptionServiceUnavailable",
    });
    // 1 start seen + RATE_LANES possibly unseen exceeds a limit of RATE_LANES: the start needs
    // every lane, so it waits for the holder.
    let nearDone = false;
    const near = service(RATE_LANES)
      .start({ _customer_number: "5802" })
      .then(() => {
        nearDone = true;
      });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(nearDone).toBe(false);
    release();
    await holder;
    await near;
    expect(nearDone).toBe(true);
  });

  it("lets a start wait only for the starts that count what it counts", async () => {
    const serviceName = uniqueService("wait");
    const [first, second] = stores as [Store, Store];
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    // A transaction of replica 1 holds the lock of number 5117 (locks name the E.164 form, here
    // with the default country US) until released.
    const holder = first.inRuleTransaction(
      serviceName,
      [{ rule: "number", customerNumber: "+15117" }],
      () => held,
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    const options = resolveOptions(serviceName, {
      ...PERMISSIVE,
      _enable_in_queue_checking: "true",
    });
    const service = new CallbackService({
      store: second,
      clock: new ManualClock(START),
      options: () => options,
    });
    const later = iso(T0 + 7_200_000);
    // Another number, scheduled: no lock in common, it is admitted while the holder waits.
    await service.start({ _customer_number: "5118", _desired_time: later });
    // The same number waits for the holder.
    let sameDone = false;
    const same = service.start({ _customer_number: "5117", _desired_time: later }).then(() => {
      sameDone = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(sameDone).toBe(false);
    release();
    await holder;
    await same;
    expect(sameDone).toBe(true);
  });
});

// PGlite has one connection: its transactions run one at a time, every lane is free, and the count
// a start reads is exact. The same race still admits exactly the limit (ADR 0120).
describe("the per-service rate on pglite", () => {
  it("admits exactly the per-service rate when the race begins on the rate lanes", async () => {
    const t = await openStore("pglite");
    try {
      const limit = RATE_LANES + 8;
      const serviceName = uniqueService("race");
      const options = resolveOptions(serviceName, {
        ...PERMISSIVE,
        _throttle_callbacks_per_service_1: String(limit),
        _throttle_ttl_1: "60",
      });
      const service = new CallbackService({
        store: t.store,
        clock: new ManualClock(START),
        options: () => options,
      });
      const outcomes = await Promise.allSettled(
        Array.from({ length: limit * 2 }, (_, i) =>
          service.start({ _customer_number: String(5900 + i) }),
        ),
      );
      expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(limit);
    } finally {
      await t.close();
    }
  });
});
