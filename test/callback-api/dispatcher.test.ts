// Dispatch to `_ors`: payload, idempotency key, retries with backoff, final failure, lost claims.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { systemClock } from "../../src/runtime/clock.ts";
import { Dispatcher } from "../../src/callback-api/dispatcher.ts";
import { BACKENDS, openStore, type TestStore } from "./support/databases.ts";
import { PERMISSIVE, START, basic, makeApp, type TestApp } from "./support/app.ts";
import { startReceiver, type Receiver } from "./support/receiver.ts";
import { dispatcherFor as testDispatcher } from "./support/dispatcher.ts";

const T0 = Date.parse(START);
const iso = (ms: number): string => new Date(ms).toISOString();

/** Retries here back off from 1 s, so that the tests can step past them. */
const dispatcherFor = (
  t: TestStore,
  a: TestApp,
  extra: Parameters<typeof testDispatcher>[2] = {},
): Dispatcher => testDispatcher(t, a, { backoffBaseMs: 1_000, ...extra });

async function state(t: TestStore, id: string): Promise<[string, string | null]> {
  const row = await t.store.getById(id);
  return [row?.state ?? "missing", row?.reason ?? null];
}

describe.each(BACKENDS)("dispatch on %s", (backend) => {
  let t: TestStore;
  let receiver: Receiver;
  beforeAll(async () => {
    t = await openStore(backend);
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await receiver.close();
    await t.close();
  });
  afterEach(() => {
    receiver.received.length = 0;
    receiver.respond(200);
  });

  const start = async (a: TestApp, payload: Record<string, string>): Promise<string> => {
    const res = await a.app.inject({
      method: "POST",
      url: a.base,
      payload,
      headers: { authorization: basic("u", "p") },
    });
    expect(res.statusCode).toBe(200);
    return res.json<{ _id: string }>()._id;
  };

  it("POSTs a due callback once, with options, request data and an idempotency key", async () => {
    const a = await makeApp(t.store, {
      ...PERMISSIVE,
      _ors: receiver.url,
      _target: "Agents@$stat$.GA",
      username: "u",
      password: "p",
    });
    const id = await start(a, { _customer_number: "5115", stat: "SS1", note: "vip" });
    await dispatcherFor(t, a).tick();
    expect(receiver.received).toHaveLength(1);
    const [got] = receiver.received;
    expect(got?.headers["idempotency-key"]).toBe(id);
    expect(got?.body).toMatchObject({
      _id: id,
      _service_name: a.serviceName,
      // What is dialled is the E.164 form, never the text as the request wrote it.
      _customer_number: "+15115",
      _target: "Agents@SS1.GA",
      note: "vip",
      _attempt: "1",
    });
    expect(got?.body).not.toHaveProperty("password");
    expect(await state(t, id)).toEqual(["COMPLETED", "ROUTED"]);
    await dispatcherFor(t, a).tick();
    expect(receiver.received).toHaveLength(1);
  });

  it("POSTs to a request's own _ors only when _overwritable_options lets requests name one", async () => {
    const closed = await makeApp(t.store, { ...PERMISSIVE });
    const refused = await start(closed, { _customer_number: "5115", _ors: receiver.url });
    await dispatcherFor(t, closed).tick();
    expect(receiver.received).toHaveLength(0);
    expect(await state(t, refused)).toEqual(["QUEUED", null]);
    const open = await makeApp(t.store, { ...PERMISSIVE, _overwritable_options: "_ors" });
    const allowed = await start(open, { _customer_number: "5116", _ors: receiver.url });
    await dispatcherFor(t, open).tick();
    expect(receiver.received.map((r) => r.body["_id"])).toEqual([allowed]);
  });

  it("records the reason the receiver names", async () => {
    const a = await makeApp(t.store, { ...PERMISSIVE, _ors: receiver.url });
    receiver.respond(200, JSON.stringify({ _callback_reason: "AGENT_CONNECTED" }));
    const id = await start(a, { _customer_number: "5115" });
    await dispatcherFor(t, a).tick();
    expect(await state(t, id)).toEqual(["COMPLETED", "AGENT_CONNECTED"]);
  });

  it("moves SCHEDULED to QUEUED at desired time less _request_execution_time_buffer", async () => {
    const a = await makeApp(t.store, {
      ...PERMISSIVE,
      _ors: receiver.url,
      _request_execution_time_buffer: "120",
    });
    const id = await start(a, { _customer_number: "5115", _desired_time: iso(T0 + 600_000) });
    const d = dispatcherFor(t, a);
    await d.tick();
    expect(await state(t, id)).toEqual(["SCHEDULED", null]);
    a.clock.advance(480_000);
    await d.tick();
    expect(await state(t, id)).toEqual(["COMPLETED", "ROUTED"]);
    expect(receiver.received).toHaveLength(1);
  });

  it("takes the template's 120 s when _request_execution_time_buffer is not set", async () => {
    const a = await makeApp(t.store, { ...PERMISSIVE, _ors: receiver.url });
    const id = await start(a, { _customer_number: "5115", _desired_time: iso(T0 + 600_000) });
    const d = dispatcherFor(t, a);
    a.clock.advance(479_000);
    await d.tick();
    expect(await state(t, id)).toEqual(["SCHEDULED", null]);
    a.clock.advance(1_000);
    await d.tick();
    expect(await state(t, id)).toEqual(["COMPLETED", "ROUTED"]);
  });

  it("retries with backoff on 5xx, then succeeds", async () => {
    const a = await makeApp(t.store, { ...PERMISSIVE, _ors: receiver.url });
    const id = await start(a, { _customer_number: "5115" });
    const d = dispatcherFor(t, a);
    receiver.respond(503);
    await d.tick();
    expect(await state(t, id)).toEqual(["QUEUED", null]);
    expect((await t.store.getById(id))?.lastError).toContain("HTTP 503");
    await d.tick();
    expect(receiver.received).toHaveLength(1);
    a.clock.advance(1_000);
    receiver.respond(200);
    await d.tick();
    expect(receiver.received).toHaveLength(2);
    expect(await state(t, id)).toEqual(["COMPLETED", "ROUTED"]);
  });

  it("gives up with FAIL_ERROR after the last attempt, or at once on a 4xx", async () => {
    const a = await makeApp(t.store, { ...PERMISSIVE, _ors: receiver.url });
    const d = dispatcherFor(t, a);
    receiver.respond(500);
    const retried = await start(a, { _customer_number: "5115" });
    for (let i = 0; i < 3; i++) {
      await d.tick();
      a.clock.advance(10_000);
    }
    expect(receiver.received).toHaveLength(3);
    expect(await state(t, retried)).toEqual(["COMPLETED", "FAIL_ERROR"]);
    receiver.respond(404);
    const permanent = await start(a, { _customer_number: "5116" });
    await d.tick();
    expect(await state(t, permanent)).toEqual(["COMPLETED", "FAIL_ERROR"]);
    expect(receiver.received).toHaveLength(4);
  });

  it("tries the next _ors URL when one is down", async () => {
    const a = await makeApp(t.store, {
      ...PERMISSIVE,
      _ors: `http://127.0.0.1:1/down,${receiver.url}`,
    });
    const id = await start(a, { _customer_number: "5115" });
    await dispatcherFor(t, a).tick();
    expect(await state(t, id)).toEqual(["COMPLETED", "ROUTED"]);
  });

  it("confines a $token$ to its URL component: no added URL, no path change, no other host", async () => {
    const attacker = await startReceiver();
    try {
      const a = await makeApp(t.store, {
        ...PERMISSIVE,
        _ors: `${receiver.url}/$queue$?tenant=$tenant$`,
      });
      const attacks = [
        { queue: `x,${attacker.url}`, tenant: "t" },
        { queue: "../../admin", tenant: "t" },
        { queue: "..", tenant: "t" },
        { queue: "a/b", tenant: `t&other=1#frag,${attacker.url}` },
        { queue: `@127.0.0.1:${new URL(attacker.url).port}`, tenant: "t" },
      ];
      for (const attack of attacks) await start(a, { _customer_number: "5115", ...attack });
      await dispatcherFor(t, a).tick();
      expect(attacker.received).toHaveLength(0);
      // Every value stayed one path segment or one query value, percent-encoded.
      expect(receiver.received.map((r) => r.path).sort()).toEqual(
        [
          `/ors/x%2C${encodeURIComponent(attacker.url)}?tenant=t`,
          "/ors/..%2F..%2Fadmin?tenant=t",
          `/ors/a%2Fb?tenant=${encodeURIComponent(`t&other=1#frag,${attacker.url}`)}`,
          `/ors/%40127.0.0.1%3A${new URL(attacker.url).port}?tenant=t`,
        ].sort(),
      );
      // `..` as a whole segment would climb out of the path: that callback fails, unsent.
      const rows = await t.store.query({
        serviceNames: [a.serviceName],
        filters: [{ key: "queue", value: "..", negate: false }],
        operand: "AND",
        limit: 5,
      });
      expect(rows.map((row) => [row.state, row.reason])).toEqual([["COMPLETED", "FAIL_ERROR"]]);
    } finally {
      await attacker.close();
    }
  });

  it("splits the configured list before substituting: a comma in a value adds no URL", async () => {
    const a = await makeApp(t.store, { ...PERMISSIVE, _ors: `${receiver.url}?q=$q$` });
    await start(a, { _customer_number: "5115", q: `1,${receiver.url}` });
    await dispatcherFor(t, a).tick();
    expect(receiver.received.map((r) => r.path)).toEqual([
      `/ors?q=1%2C${encodeURIComponent(receiver.url)}`,
    ]);
  });

  it("takes a 4xx or 3xx as the receiver's verdict: the callback fails, the next URL is not tried", async () => {
    const second = await startReceiver();
    try {
      const a = await makeApp(t.store, { ...PERMISSIVE, _ors: `${receiver.url},${second.url}` });
      for (const status of [400, 401, 403, 404, 409, 410, 422, 301, 302, 307, 308]) {
        receiver.respond(status);
        const id = await start(a, { _customer_number: "5115" });
        await dispatcherFor(t, a).tick();
        expect(await state(t, id), String(status)).toEqual(["COMPLETED", "FAIL_ERROR"]);
      }
      expect(second.received).toHaveLength(0);
      // "Not now" answers do move on to the next URL.
      for (const status of [500, 502, 503, 408, 429]) {
        receiver.respond(status);
        const id = await start(a, { _customer_number: "5115" });
        await dispatcherFor(t, a).tick();
        expect(await state(t, id), String(status)).toEqual(["COMPLETED", "ROUTED"]);
      }
      expect(second.received).toHaveLength(5);
    } finally {
      await second.close();
    }
  });

  it("keeps callbacks QUEUED while no _ors is configured, and sends them once it is", async () => {
    const a = await makeApp(t.store, PERMISSIVE);
    const id = await start(a, { _customer_number: "5115" });
    const d = dispatcherFor(t, a);
    await d.tick();
    expect(await state(t, id)).toEqual(["QUEUED", null]);
    await a.setOptions({ ...PERMISSIVE, _ors: receiver.url });
    await d.tick();
    expect(await state(t, id)).toEqual(["COMPLETED", "ROUTED"]);
  });

  it("uses the request's _ors only when _overwritable_options allows it", async () => {
    const other = await startReceiver();
    try {
      const a = await makeApp(t.store, { ...PERMISSIVE, _ors: receiver.url });
      await start(a, { _customer_number: "5115", _ors: other.url });
      await dispatcherFor(t, a).tick();
      expect([receiver.received.length, other.received.length]).toEqual([1, 0]);
      await a.setOptions({ ...PERMISSIVE, _ors: receiver.url, _overwritable_options: "_ors" });
      await start(a, { _customer_number: "5116", _ors: other.url });
      await dispatcherFor(t, a).tick();
      expect([receiver.received.length, other.received.length]).toEqual([1, 1]);
    } finally {
      await other.close();
    }
  });

  it("never POSTs past the claim's lease, however slow the receivers", async () => {
    // Two hanging `_ors` URLs and one POST at a time: each callback takes two request timeouts, so
    // the third would start after the lease ran out, when another replica may have re-claimed it.
    const a = await makeApp(t.store, {
      ...PERMISSIVE,
      _ors: "http://127.0.0.1:9/first,http://127.0.0.1:9/second",
    });
    const ids = [
      await start(a, { _customer_number: "5115" }),
      await start(a, { _customer_number: "5116" }),
      await start(a, { _customer_number: "5117" }),
    ];
    const posts: { id: string; from: number; to: number }[] = [];
    const hanging: typeof fetch = (_input, init) =>
      new Promise((_resolve, reject) => {
        const from = Date.now();
        const signal = init?.signal;
        signal?.addEventListener("abort", () => {
          posts.push({
            id: new Headers(init?.headers).get("x-callback-id") ?? "",
            from,
            to: Date.now(),
          });
          reject(signal.reason as Error);
        });
      });
    const leaseMs = 3_000;
    await dispatcherFor(t, a, {
      fetch: hanging,
      clock: systemClock,
      leaseMs,
      requestTimeoutMs: 1_000,
      concurrency: 1,
    }).tick();
    const claimedBy = Math.min(...posts.map((post) => post.from));
    expect(posts.length).toBeGreaterThan(0);
    for (const post of posts) expect(post.to).toBeLessThan(claimedBy + leaseMs);
    const untried = ids.filter((id) => !posts.some((post) => post.id === id));
    expect(untried.length).toBeGreaterThan(0);
    for (const id of untried) {
      const row = await t.store.getById(id);
      expect([row?.state, row?.lastError]).toEqual(["QUEUED", expect.stringContaining("lease")]);
    }
  });

  it("measures what is left of a claim on monotonic time: a wall clock stepped forward cuts no POST short", async () => {
    const a = await makeApp(t.store, { ...PERMISSIVE, _ors: receiver.url });
    const ids = [
      await start(a, { _customer_number: "5115" }),
      await start(a, { _customer_number: "5116" }),
    ];
    // During the first POST the wall clock jumps 56 s (NTP, a resumed VM): on the wall clock the
    // 60 s lease, less its 5 s margin, would be over before the second POST; no time passed.
    let stepped = false;
    const steppingFetch: typeof fetch = (input, init) => {
      if (!stepped) a.clock.stepWall(56_000);
      stepped = true;
      return fetch(input, init);
    };
    await dispatcherFor(t, a, { fetch: steppingFetch, concurrency: 1 }).tick();
    expect(receiver.received).toHaveLength(2);
    for (const id of ids) expect(await state(t, id)).toEqual(["COMPLETED", "ROUTED"]);
  });

  it("does not overwrite a cancel that happened while the POST was in flight", async () => {
    const a = await makeApp(t.store, { ...PERMISSIVE, _ors: receiver.url });
    const id = await start(a, { _customer_number: "5115" });
    const slowFetch: typeof fetch = async (input, init) => {
      await a.app.inject({ method: "DELETE", url: `${a.base}/${id}` });
      return fetch(input, init);
    };
    await dispatcherFor(t, a, { fetch: slowFetch }).tick();
    expect(receiver.received).toHaveLength(1);
    expect(await state(t, id)).toEqual(["COMPLETED", "CANCELLED"]);
  });
});
