// What a start costs the database, counted round trip by round trip through the store's query hook
// (support/recording-database.ts): every rule a start checks and its insert run in one statement
// (ADR 0121), where they took 7 (BEGIN, locks with a rate lane, the rate windows, in-queue count,
// bucket count, insert, COMMIT) and an immediate throttled start 8. Near a rate limit the start runs
// again holding every rate lane (ADR 0120): 2. And what it costs the log: one line.
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../src/callback-api/app.ts";
import { CallbackService } from "../../src/callback-api/callback-service.ts";
import { CallbackError } from "../../src/callback-api/errors.ts";
import { resolveOptions } from "../../src/callback-api/options.ts";
import { RATE_LANES, Store } from "../../src/callback-api/store.ts";
import { ManualClock } from "../../src/runtime/clock.ts";
import { PERMISSIVE, START, uniqueService } from "./support/app.ts";
import { BACKENDS, openStore, type TestStore } from "./support/databases.ts";
import { recording, type RecordingDatabase } from "./support/recording-database.ts";

const T0 = Date.parse(START);
const iso = (ms: number): string => new Date(ms).toISOString();

describe.each(BACKENDS)("round trips of a start on %s", (backend) => {
  let t: TestStore;
  let rec: RecordingDatabase;
  beforeAll(async () => {
    t = await openStore(backend);
    rec = recording(t.db);
  });
  afterAll(async () => {
    await t.close();
  });

  /** Starts `params` on a service of `raw` options; the round trips the start alone made. */
  async function tripsOf(
    raw: Record<string, string>,
    params: Record<string, string>,
    before: (service: CallbackService) => Promise<unknown> = () => Promise.resolve(),
  ): Promise<{ trips: string[]; error: unknown }> {
    const serviceName = uniqueService("trips");
    const options = resolveOptions(serviceName, { ...PERMISSIVE, ...raw });
    const service = new CallbackService({
      store: new Store(rec.db),
      clock: new ManualClock(START),
      options: () => options,
    });
    await before(service);
    const from = rec.trips.length;
    let error: unknown;
    await service.start(params).catch((caught: unknown) => {
      error = caught;
    });
    return { trips: rec.trips.slice(from), error };
  }

  it("runs a scheduled start with in-queue checking, the bucket and the rate in 1", async () => {
    const { trips, error } = await tripsOf(
      { _enable_in_queue_checking: "true", _max_request_by_time_bucket: "100" },
      { _customer_number: "5550101", _desired_time: iso(T0 + 86_400_000), order: "A-1" },
    );
    expect(error).toBeUndefined();
    expect(trips).toHaveLength(1);
  });

  it("runs an immediate start with the queue cap and a daily throttle in 1", async () => {
    const { trips, error } = await tripsOf(
      {
        _enable_in_queue_checking: "strict",
        _max_queued_callbacks_per_service: "100",
        _throttle_request_parameters: "_customer_number,order",
        _throttle_request_parameters_limit: "5",
      },
      { _customer_number: "5550102", order: "A-2" },
    );
    expect(error).toBeUndefined();
    expect(trips).toHaveLength(1);
  });

  it("runs a user-originated start that books an access number in 1", async () => {
    const { trips, error } = await tripsOf(
      {
        _call_direction: "USERORIGINATED",
        _wait_for_agent: "false",
        _resource_group: "Mobile_DNIS",
        _provide_code: "true",
        _access_numbers: "+18005550142",
      },
      { _customer_number: "5550103" },
    );
    expect(error).toBeUndefined();
    expect(trips).toHaveLength(1);
  });

  it("refuses in 1: the refusal is the statement's answer, nothing to roll back", async () => {
    const { trips, error } = await tripsOf(
      { _enable_in_queue_checking: "strict" },
      { _customer_number: "5550104" },
      (service) => service.start({ _customer_number: "5550104" }),
    );
    expect((error as CallbackError).exception).toBe("CallbackExceptionAlreadyQueued");
    expect(trips).toHaveLength(1);
  });

  it("runs a start within RATE_LANES of a rate limit in 2: one lane, then every lane", async () => {
    const { trips, error } = await tripsOf(
      { _throttle_callbacks_per_service_1: String(RATE_LANES - 1) },
      { _customer_number: "5550105" },
    );
    expect(error).toBeUndefined();
    expect(trips).toHaveLength(2);
  });
});

describe("the log of a start", () => {
  it("is one access-log line per request at the default level", async () => {
    const t = await openStore("pglite");
    try {
      const lines: string[] = [];
      const logger = pino(
        { level: "info" },
        new Writable({
          write(chunk: Buffer, _encoding, done) {
            lines.push(
              ...chunk
                .toString("utf8")
                .split("\n")
                .filter((line) => line !== ""),
            );
            done();
          },
        }),
      );
      const serviceName = uniqueService("log");
      const options = resolveOptions(serviceName, PERMISSIVE);
      const app = await buildApp({
        store: t.store,
        serviceName,
        options: () => options,
        clock: new ManualClock(START),
        logger,
      });
      for (const number of ["5550201", "5550202"]) {
        const response = await app.inject({
          method: "POST",
          url: `/genesys/1/service/callback/${serviceName}`,
          payload: { _customer_number: number },
        });
        expect(response.statusCode).toBe(200);
      }
      await app.close();
      expect(lines).toHaveLength(2);
      expect(lines.map((line) => (JSON.parse(line) as { msg: string }).msg)).toEqual([
        "request completed",
        "request completed",
      ]);
    } finally {
      await t.close();
    }
  });
});
