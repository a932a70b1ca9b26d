// Issue 12, items 5 and 7: clients move callbacks only along the table in callback-states.ts; the
// queue cap holds on every client path into QUEUED; a desired time older than `_ttl` is refused.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPORTABLE } from "../../src/callback-api/callback-states.ts";
import { CALLBACK_STATES, type CallbackState } from "../../src/callback-api/store.ts";
import { BACKENDS, openStore, type TestStore } from "./support/databases.ts";
import { GMS, PERMISSIVE, START, makeApp, type TestApp } from "./support/app.ts";

const T0 = Date.parse(START);
const iso = (ms: number): string => new Date(ms).toISOString();

describe.each(BACKENDS)("client state changes on %s", (backend) => {
  let t: TestStore;
  beforeAll(async () => {
    t = await openStore(backend);
  });
  afterAll(async () => {
    await t.close();
  });

  const start = async (a: TestApp, payload: Record<string, string> = {}) => {
    const res = await a.app.inject({
      method: "POST",
      url: a.base,
      payload: { _customer_number: "5115", ...payload },
    });
    return res;
  };
  const put = (a: TestApp, id: string, payload: Record<string, string>) =>
    a.app.inject({ method: "PUT", url: `${a.base}/${id}`, payload });

  /** A record of `a` in `state`, put there the way the server does it. */
  async function recordIn(a: TestApp, state: CallbackState): Promise<string> {
    const scheduled = state === "SCHEDULED";
    const res = await start(a, scheduled ? { _desired_time: iso(T0 + 3_600_000) } : {});
    expect(res.statusCode, res.body).toBe(200);
    const id = res.json<{ _id: string }>()._id;
    if (state === "ROUTING")
      await t.store.claim(a.serviceName, "w", a.clock.now(), {
        ms: 60_000,
        limit: 100,
        onlyWithOwnOrs: false,
      });
    if (state === "PROCESSING")
      expect((await put(a, id, { _callback_state: "PROCESSING" })).statusCode).toBe(200);
    if (state === "COMPLETED") await t.store.complete(id, "CANCELLED", a.clock.now());
    expect((await t.store.getById(id))?.state).toBe(state);
    return id;
  }

  it("allows exactly the transitions of the table, and refuses the others with a 400 saying why", async () => {
    const outcomes: string[] = [];
    for (const from of CALLBACK_STATES) {
      for (const to of CALLBACK_STATES) {
        const a = await makeApp(t.store, PERMISSIVE);
        const id = await recordIn(a, from);
        const res = await put(a, id, { _callback_state: to, _callback_reason: "AGENT_CONNECTED" });
        const allowed = REPORTABLE.client[from].includes(to);
        const after = (await t.store.getById(id))?.state;
        outcomes.push(`${from}->${to}: ${res.statusCode} ${after ?? ""}`);
        if (allowed) {
          expect(res.statusCode, `${from} -> ${to}: ${res.body}`).toBe(200);
          expect(after).toBe(to);
        } else {
          expect(res.statusCode, `${from} -> ${to}`).toBe(400);
          expect(res.json()).toMatchObject({ exception: `${GMS}.CallbackExceptionBadRequest` });
          expect(after).toBe(from);
        }
      }
    }
    // The rules that matter most, spelled out.
    expect(outcomes).toContain("QUEUED->ROUTING: 400 QUEUED");
    expect(outcomes).toContain("SCHEDULED->ROUTING: 400 SCHEDULED");
    expect(outcomes).toContain("PROCESSING->QUEUED: 400 PROCESSING");
    expect(outcomes).toContain("ROUTING->QUEUED: 400 ROUTING");
    expect(outcomes).toContain("SCHEDULED->QUEUED: 400 SCHEDULED");
    expect(outcomes).toContain("COMPLETED->QUEUED: 400 COMPLETED");
    expect(outcomes).toContain("QUEUED->PROCESSING: 200 PROCESSING");
    expect(outcomes).toContain("PROCESSING->COMPLETED: 200 COMPLETED");
  });

  it("keeps the queue cap when a reschedule brings a callback into the queue", async () => {
    const a = await makeApp(t.store, { ...PERMISSIVE, _max_queued_callbacks_per_service: "2" });
    const scheduled = await recordIn(a, "SCHEDULED");
    await recordIn(a, "QUEUED");
    await recordIn(a, "QUEUED");
    expect((await start(a)).statusCode).toBe(503);
    const res = await put(a, scheduled, { _new_desired_time: START });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({
      exception: `${GMS}.CallbackExceptionServiceUnavailable`,
      message: `Limit of queued callbacks for ${a.serviceName} is reached.`,
    });
    expect((await t.store.getById(scheduled))?.state).toBe("SCHEDULED");
    // Already queued: a reschedule to now does not count it twice.
    const [queued] = await t.store.query({
      serviceNames: [a.serviceName],
      filters: [{ key: "_callback_state", value: "QUEUED", negate: false }],
      operand: "AND",
      limit: 1,
    });
    expect((await put(a, queued?.id ?? "", { _new_desired_time: START })).statusCode).toBe(200);
    // And nothing a client sends by _callback_state brings it back.
    expect((await put(a, scheduled, { _callback_state: "QUEUED" })).statusCode).toBe(400);
    expect(await t.store.countQueued(a.serviceName)).toBe(2);
  });

  it("refuses _callback_state together with _new_desired_time", async () => {
    const a = await makeApp(t.store, PERMISSIVE);
    const id = await recordIn(a, "SCHEDULED");
    const res = await put(a, id, {
      _new_desired_time: iso(T0 + 7_200_000),
      _callback_state: "COMPLETED",
    });
    expect(res.statusCode).toBe(400);
    expect(res.json<{ message: string }>().message).toContain("exclude each other");
  });

  it("refuses a desired time older than _ttl, at start and on reschedule", async () => {
    const a = await makeApp(t.store, { ...PERMISSIVE, _ttl: "3600" });
    const stale = iso(T0 - 3_600_000);
    const res = await start(a, { _desired_time: stale });
    expect(res.statusCode).toBe(400);
    expect(res.json<{ message: string }>().message).toContain("_ttl");
    // Within _ttl in the past: due at once, as before.
    expect((await start(a, { _desired_time: iso(T0 - 3_599_000) })).statusCode).toBe(200);
    const id = await recordIn(a, "SCHEDULED");
    expect((await put(a, id, { _new_desired_time: stale })).statusCode).toBe(400);
    expect((await t.store.getById(id))?.state).toBe("SCHEDULED");
  });
});
