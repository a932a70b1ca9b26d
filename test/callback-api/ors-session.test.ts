// Dispatch by ORS session (`_ors_dispatch=session`, ADR 0103), against real HTTP receivers on
// loopback playing Orchestration Server. GMS sources: gms-reference-2.md §5.1 (ORS REST: form POST
// to /scxml/session/start, src mandatory), §5.2 (what GMS sends, `_ors` list, `_ors_lb_strategy`,
// max_ors_request_attempts and its message), §5.3 (state reports back through PUT), and
// gms-reference.md §5 (`_ors_session_id` among the default returned-keys).
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { CANNOT_CONNECT } from "../../src/callback-api/ors-session.ts";
import { BACKENDS, openStore, type TestStore } from "./support/databases.ts";
import { PERMISSIVE, basic, makeApp, type TestApp } from "./support/app.ts";
import { startReceiver, type Receiver } from "./support/receiver.ts";
import { dispatcherFor } from "./support/dispatcher.ts";

const SCXML = "http://scxml.example/apps/callback/index.scxml";
const auth = { authorization: basic("u", "p") };

/** A loopback URL nothing listens on: the connection is refused. */
async function refusedUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
  });
  return `http://127.0.0.1:${port}`;
}

describe.each(BACKENDS)("dispatch by ORS session on %s", (backend) => {
  let t: TestStore;
  let ors1: Receiver;
  let ors2: Receiver;
  beforeAll(async () => {
    t = await openStore(backend);
    ors1 = await startReceiver();
    ors2 = await startReceiver();
  });
  afterAll(async () => {
    await ors1.close();
    await ors2.close();
    await t.close();
  });
  afterEach(() => {
    for (const ors of [ors1, ors2]) {
      ors.received.length = 0;
      ors.respond(200);
    }
  });

  const sessionApp = (extra: Record<string, string>): Promise<TestApp> =>
    makeApp(t.store, {
      ...PERMISSIVE,
      _ors_dispatch: "session",
      _service: SCXML,
      username: "u",
      password: "p",
      ...extra,
    });

  const start = async (a: TestApp, payload: Record<string, string>): Promise<string> => {
    const res = await a.app.inject({ method: "POST", url: a.base, payload, headers: auth });
    expect(res.statusCode).toBe(200);
    return res.json<{ _id: string }>()._id;
  };

  const report = (a: TestApp, id: string, payload: Record<string, string>) =>
    a.app.inject({ method: "PUT", url: `${a.base}/${id}`, payload, headers: auth });

  const byId = async (a: TestApp, id: string): Promise<Record<string, string> | undefined> => {
    const res = await a.app.inject({
      method: "GET",
      url: `/genesys/1/service/callback?_id=${id}`,
      headers: auth,
    });
    expect(res.statusCode).toBe(200);
    return res.json<Record<string, string>[]>()[0];
  };

  it("POSTs a form to <ors>/scxml/session/start: src=_service, the _ parameters, _data_id, no user data (§5.1, §5.2 ServiceAPI)", async () => {
    const a = await sessionApp({ _ors: ors1.url, _target: "Agents@$stat$.GA" });
    const id = await start(a, {
      _customer_number: "5115",
      _urs_virtual_queue: "VQ_request",
      stat: "SS1",
      note: "vip",
    });
    ors1.respond(200, JSON.stringify({ sessionid: "00B2M7A1S0J2V0FE" }));
    await dispatcherFor(t, a).tick();

    expect(ors1.received).toHaveLength(1);
    const [got] = ors1.received;
    expect(got?.path).toBe("/ors/scxml/session/start");
    expect(got?.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(got?.form?.getAll("src")).toEqual([SCXML]);
    expect(got?.body).toMatchObject({
      _id: id,
      _data_id: id,
      _service: SCXML,
      _service_name: a.serviceName,
      _target: "Agents@SS1.GA",
      _urs_virtual_queue: "VQ_request",
      _callback_state: "QUEUED",
    });
    expect(got?.body["_customer_number"]).toMatch(/5115$/);
    // User data stays in storage (read back by _data_id); credentials never leave.
    for (const key of ["note", "stat", "username", "password"])
      expect(got?.body[key], key).toBeUndefined();
    // Every key once: ORS would read a repeated one as a list.
    const keys = [...(got?.form?.keys() ?? [])];
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("records the session id as _ors_session_id, keeps the callback QUEUED and never starts it twice (gms-reference.md §5 returned-keys)", async () => {
    const a = await sessionApp({ _ors: ors1.url });
    const id = await start(a, { _customer_number: "5115" });
    ors1.respond(200, JSON.stringify({ sessionid: "00B2M7A1S0J2V0FE" }));
    const dispatcher = dispatcherFor(t, a);
    await dispatcher.tick();
    await dispatcher.tick();
    expect(ors1.received).toHaveLength(1);

    expect(await byId(a, id)).toMatchObject({
      _callback_state: "QUEUED",
      _ors_session_id: "00B2M7A1S0J2V0FE",
    });
    expect((await byId(a, id))?.["_callback_reason"]).toBeUndefined();
    const filtered = await a.app.inject({
      method: "GET",
      url: `${a.base}?_ors_session_id=00B2M7A1S0J2V0FE`,
      headers: auth,
    });
    expect(filtered.json<{ _id: string }[]>().map((r) => r._id)).toEqual([id]);
  });

  it("takes the session id when ORS answers it as the whole body (§5.1: the answer's shape is unconfirmed)", async () => {
    const a = await sessionApp({ _ors: ors1.url });
    const id = await start(a, { _customer_number: "5115" });
    ors1.respond(200, "SESSION-42");
    await dispatcherFor(t, a).tick();
    expect((await t.store.getById(id))?.orsSessionId).toBe("SESSION-42");
  });

  it("accepts the session's state reports ROUTING, PROCESSING, COMPLETED afterwards (§5.3, FT:PurgeCallbackRecordsTests transitions)", async () => {
    const a = await sessionApp({ _ors: ors1.url });
    const id = await start(a, { _customer_number: "5115" });
    ors1.respond(200, JSON.stringify({ sessionid: "S1" }));
    await dispatcherFor(t, a).tick();

    // The session owns it: a new time would not reach it.
    const reschedule = await report(a, id, { _new_desired_time: "2030-03-05T10:00:00.000Z" });
    expect(reschedule.statusCode).toBe(400);
    expect(reschedule.body).toContain("ORS session S1");

    for (const state of ["ROUTING", "PROCESSING"]) {
      const res = await report(a, id, { _callback_state: state });
      expect(res.statusCode, state).toBe(200);
      expect((await byId(a, id))?.["_callback_state"]).toBe(state);
    }
    const back = await report(a, id, { _callback_state: "ROUTING" });
    expect(back.statusCode).toBe(400);
    const done = await report(a, id, {
      _callback_state: "COMPLETED",
      _callback_reason: "AGENT_CONNECTED",
    });
    expect(done.statusCode).toBe(200);
    expect(await byId(a, id)).toMatchObject({
      _callback_state: "COMPLETED",
      _callback_reason: "AGENT_CONNECTED",
      _ors_session_id: "S1",
    });
  });

  it("a callback not handed to a session still refuses ROUTING from a client (ADR 0052 table unchanged)", async () => {
    const a = await sessionApp({});
    const id = await start(a, { _customer_number: "5115" });
    const res = await report(a, id, { _callback_state: "ROUTING" });
    expect(res.statusCode).toBe(400);
  });

  it("fails over to the next _ors node on a refused connection (§5.2 Failover)", async () => {
    const a = await sessionApp({ _ors: `${await refusedUrl()},${ors2.url}` });
    const id = await start(a, { _customer_number: "5115" });
    ors2.respond(200, JSON.stringify({ sessionid: "ON-NODE-2" }));
    await dispatcherFor(t, a).tick();
    expect(ors2.received).toHaveLength(1);
    expect((await t.store.getById(id))?.orsSessionId).toBe("ON-NODE-2");
  });

  it("fails over to the next _ors node on a 5xx (§5.2 Failover)", async () => {
    const a = await sessionApp({ _ors: `${ors1.url},${ors2.url}`, _ors_lb_strategy: "linear" });
    const id = await start(a, { _customer_number: "5115" });
    ors1.respond(503);
    ors2.respond(200, JSON.stringify({ sessionid: "ON-NODE-2" }));
    await dispatcherFor(t, a).tick();
    expect(ors1.received).toHaveLength(1);
    expect(ors2.received).toHaveLength(1);
    expect(await t.store.getById(id)).toMatchObject({
      state: "QUEUED",
      orsSessionId: "ON-NODE-2",
    });
  });

  it("does not fail over on a 4xx: the node's verdict fails the callback (ADR 0050)", async () => {
    const a = await sessionApp({ _ors: `${ors1.url},${ors2.url}`, _ors_lb_strategy: "linear" });
    const id = await start(a, { _customer_number: "5115" });
    ors1.respond(400);
    await dispatcherFor(t, a).tick();
    expect(ors1.received).toHaveLength(1);
    expect(ors2.received).toHaveLength(0);
    const row = await t.store.getById(id);
    expect(row).toMatchObject({ state: "COMPLETED", reason: "FAIL_ERROR", orsSessionId: null });
    expect(row?.lastError).toContain("HTTP 400");
  });

  it("sends at most 3 requests per dispatch (max_ors_request_attempts), then retries later with GMS's message (§5.2)", async () => {
    const a = await sessionApp({ _ors: `${ors1.url},${ors2.url}`, _ors_lb_strategy: "linear" });
    const id = await start(a, { _customer_number: "5115" });
    ors1.respond(503);
    ors2.respond(502);
    await dispatcherFor(t, a).tick();
    // linear from the first node: node 1, node 2, node 1 again.
    expect(ors1.received).toHaveLength(2);
    expect(ors2.received).toHaveLength(1);
    const row = await t.store.getById(id);
    expect(row).toMatchObject({ state: "QUEUED", orsSessionId: null });
    expect(row?.lastError).toContain(CANNOT_CONNECT);
  });

  it("linear always starts on the first node; circular takes the nodes in turn (§5.2 _ors_lb_strategy)", async () => {
    for (const [strategy, expected] of [
      ["linear", [4, 0]],
      ["circular", [2, 2]],
    ] as const) {
      const a = await sessionApp({ _ors: `${ors1.url},${ors2.url}`, _ors_lb_strategy: strategy });
      for (let i = 0; i < 4; i++) await start(a, { _customer_number: `51${String(i)}5` });
      await dispatcherFor(t, a).tick();
      expect([ors1.received.length, ors2.received.length], strategy).toEqual(expected);
      ors1.received.length = 0;
      ors2.received.length = 0;
    }
  });

  it("circular is the default strategy, as in GMS (§5.2)", async () => {
    const a = await sessionApp({ _ors: `${ors1.url},${ors2.url}` });
    await start(a, { _customer_number: "5115" });
    await start(a, { _customer_number: "5125" });
    await dispatcherFor(t, a).tick();
    expect([ors1.received.length, ors2.received.length]).toEqual([1, 1]);
  });

  it("fails the callback, naming _service, when _service is not an SCXML URL: never a silent webhook (ADR 0103)", async () => {
    const a = await sessionApp({ _ors: ors1.url, _service: "callback" });
    const id = await start(a, { _customer_number: "5115" });
    await dispatcherFor(t, a).tick();
    expect(ors1.received).toHaveLength(0);
    const row = await t.store.getById(id);
    expect(row).toMatchObject({ state: "COMPLETED", reason: "FAIL_ERROR" });
    expect(row?.lastError).toContain("_service");
  });

  it("keeps the JSON webhook when _ors_dispatch is not set (ADR 0103: existing services unchanged)", async () => {
    const a = await makeApp(t.store, { ...PERMISSIVE, _ors: ors1.url, _service: SCXML });
    const id = await start(a, { _customer_number: "5115" });
    await dispatcherFor(t, a).tick();
    expect(ors1.received).toHaveLength(1);
    expect(ors1.received[0]?.path).toBe("/ors");
    expect(ors1.received[0]?.headers["content-type"]).toBe("application/json");
    expect(await t.store.getById(id)).toMatchObject({ state: "COMPLETED", reason: "ROUTED" });
  });
});
