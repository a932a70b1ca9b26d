// The elector's expiry on a manual clock. Expiry must be judged on this replica's monotonic clock
// from when it saw the lease change; the rows with a skewed or stepped wall clock fail if expiry
// were computed from the lease's renewTime.
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { kubeMicroTime, ManualClock } from "./clock.ts";
import { KubeApiError, type KubeApi, type KubeObject } from "./kube-client.ts";
import { LeaderElector } from "./leader-election.ts";

interface LeaseSpec {
  holderIdentity?: string | null;
  leaseDurationSeconds?: number;
  renewTime?: string | null;
  acquireTime?: string | null;
  leaseTransitions?: number;
}
type Lease = KubeObject & { spec: LeaseSpec };

/** One Lease in memory, with resourceVersion checks as the apiserver makes them. */
class LeaseStore {
  lease: Lease | undefined;
  /** While set, every request fails as an unreachable apiserver's would. */
  down = false;
  #version = 0;
  put(spec: LeaseSpec): Lease {
    this.#version++;
    this.lease = {
      kind: "Lease",
      metadata: { name: "l", namespace: "ns", resourceVersion: String(this.#version) },
      spec,
    };
    return this.lease;
  }
  api(): KubeApi {
    const api: Partial<KubeApi> = {
      get: <T extends KubeObject>(): Promise<T> => {
        if (this.down) return Promise.reject(new KubeApiError(503, "ServiceUnavailable", ""));
        if (this.lease === undefined) return Promise.reject(new KubeApiError(404, "NotFound", ""));
        return Promise.resolve(structuredClone(this.lease) as unknown as T);
      },
      create: <T extends KubeObject>(_path: string, object: unknown): Promise<T> => {
        if (this.down) return Promise.reject(new KubeApiError(503, "ServiceUnavailable", ""));
        if (this.lease !== undefined) return Promise.reject(new KubeApiError(409, "Conflict", ""));
        return Promise.resolve(structuredClone(this.put((object as Lease).spec)) as unknown as T);
      },
      replace: <T extends KubeObject>(_path: string, object: unknown): Promise<T> => {
        if (this.down) return Promise.reject(new KubeApiError(503, "ServiceUnavailable", ""));
        const sent = object as Lease;
        if (sent.metadata.resourceVersion !== this.lease?.metadata.resourceVersion) {
          return Promise.reject(new KubeApiError(409, "Conflict", ""));
        }
        this.put(sent.spec);
        return Promise.resolve(structuredClone(this.lease) as unknown as T);
      },
    };
    return api as KubeApi;
  }
}

type Action =
  | { readonly advance: number }
  | { readonly stepWall: number }
  | { readonly holderRenews: true }
  | { readonly attempt: boolean };

interface Row {
  readonly name: string;
  /** The other replica's renewTime, relative to this replica's wall clock at the start. */
  readonly renewTimeOffset: number;
  readonly actions: readonly Action[];
}

const second = 1_000;
const rows: Row[] = [
  {
    name: "a lease that stops changing expires a lease duration after this replica saw it",
    renewTimeOffset: 0,
    actions: [
      { attempt: false },
      { advance: 14 * second },
      { attempt: false },
      { advance: 2 * second },
      { attempt: true },
    ],
  },
  {
    name: "a holder that keeps renewing is never overtaken",
    renewTimeOffset: 0,
    actions: [
      { attempt: false },
      { advance: 10 * second },
      { holderRenews: true },
      { attempt: false },
      { advance: 10 * second },
      { holderRenews: true },
      { attempt: false },
      { advance: 10 * second },
      { attempt: false },
    ],
  },
  {
    name: "our wall clock an hour ahead (renewTime looks stale) does not take a fresh lease",
    renewTimeOffset: 0,
    actions: [
      { stepWall: 3_600 * second },
      { attempt: false },
      { advance: 5 * second },
      { attempt: false },
    ],
  },
  {
    name: "a wall clock stepped forward while waiting does not shorten the wait",
    renewTimeOffset: 0,
    actions: [
      { attempt: false },
      { stepWall: 60 * second },
      { advance: 1 * second },
      { attempt: false },
    ],
  },
  {
    name: "a holder whose clock runs an hour ahead (renewTime in our future) still expires",
    renewTimeOffset: 3_600 * second,
    actions: [{ attempt: false }, { advance: 16 * second }, { attempt: true }],
  },
  {
    name: "expiry counts from when this replica first saw the record, not from its renewTime",
    renewTimeOffset: -3_600 * second,
    actions: [{ attempt: false }, { advance: 14 * second }, { attempt: false }],
  },
];

describe("LeaderElector expiry, on a manual clock", () => {
  it.each(rows.map((row) => [row.name, row] as const))("%s", async (_name, row) => {
    const clock = new ManualClock("2026-11-25T12:00:00Z");
    const store = new LeaseStore();
    const renew = (offset = 0): void => {
      store.put({
        holderIdentity: "other",
        leaseDurationSeconds: 15,
        renewTime: kubeMicroTime(clock.now() + offset),
        leaseTransitions: 3,
      });
    };
    renew(row.renewTimeOffset);
    const elector = new LeaderElector(store.api(), {
      namespace: "ns",
      name: "l",
      identity: "me",
      log: pino({ level: "silent" }),
      clock,
    });
    for (const [i, action] of row.actions.entries()) {
      if ("advance" in action) clock.advance(action.advance);
      else if ("stepWall" in action) clock.stepWall(action.stepWall);
      else if ("holderRenews" in action) renew();
      else {
        expect(await elector.tryAcquireOrRenew(), `action ${String(i)}`).toBe(action.attempt);
        expect(store.lease?.spec.holderIdentity).toBe(action.attempt ? "me" : "other");
      }
    }
  });

  it("takes over with a new acquireTime and one more transition, in wall time", async () => {
    const clock = new ManualClock("2026-11-25T12:00:00Z");
    const store = new LeaseStore();
    store.put({ holderIdentity: "", leaseDurationSeconds: 15, leaseTransitions: 3 });
    const log = pino({ level: "silent" });
    const elector = new LeaderElector(store.api(), {
      namespace: "ns",
      name: "l",
      identity: "me",
      log,
      clock,
    });
    expect(await elector.tryAcquireOrRenew()).toBe(true);
    expect(store.lease?.spec).toMatchObject({
      holderIdentity: "me",
      acquireTime: "2026-11-25T12:00:00.000000Z",
      renewTime: "2026-11-25T12:00:00.000000Z",
      leaseTransitions: 4,
    });
    expect(elector.holdsFreshLease()).toBe(true);
    clock.advance(10 * second);
    expect(elector.holdsFreshLease()).toBe(false);
  });
});

const silent = pino({ level: "silent" });

/** A replica of the elector on the shared clock and store. */
function replica(store: LeaseStore, clock: ManualClock, identity: string): LeaderElector {
  return new LeaderElector(store.api(), {
    namespace: "ns",
    name: "l",
    identity,
    log: silent,
    clock,
  });
}

describe("LeaderElector hand-over, fence and step-down, on a manual clock", () => {
  it("fences writes for less than the lease: a leader frozen after a renewal never overlaps its successor", async () => {
    const clock = new ManualClock("2026-11-25T12:00:00Z");
    const store = new LeaseStore();
    const [a, b] = [replica(store, clock, "a"), replica(store, clock, "b")];
    expect(await a.tryAcquireOrRenew()).toBe(true);
    // a is frozen from here on (no more renewals); b keeps trying every 2 s, as its retry period.
    const aFresh: number[] = [];
    let bLeadsAt: number | undefined;
    for (let t = 0; t <= 20_000; t += 500) {
      if (a.holdsFreshLease()) aFresh.push(t);
      if (t % 2_000 === 0 && bLeadsAt === undefined && (await b.tryAcquireOrRenew())) bLeadsAt = t;
      clock.advance(500);
    }
    // The fence is the renew deadline (10 s); b waits a whole lease (15 s) after it saw the
    // lease change, and sees it change only on its own first read.
    expect(Math.max(...aFresh)).toBe(9_500);
    expect(bLeadsAt).toBe(16_000);
    expect(store.lease?.spec).toMatchObject({ holderIdentity: "b", leaseTransitions: 1 });
  });

  it("hands the lease over at once on release, and stops fencing writes", async () => {
    const clock = new ManualClock("2026-11-25T12:00:00Z");
    const store = new LeaseStore();
    const [a, b] = [replica(store, clock, "a"), replica(store, clock, "b")];
    expect(await a.tryAcquireOrRenew()).toBe(true);
    expect(await b.tryAcquireOrRenew()).toBe(false);
    await a.release();
    expect(a.holdsFreshLease()).toBe(false);
    expect(store.lease?.spec.holderIdentity).toBeNull();
    expect(await b.tryAcquireOrRenew()).toBe(true);
    expect(store.lease?.spec).toMatchObject({ holderIdentity: "b", leaseTransitions: 1 });
  });

  it("does not release a lease another replica holds", async () => {
    const clock = new ManualClock("2026-11-25T12:00:00Z");
    const store = new LeaseStore();
    const [a, b] = [replica(store, clock, "a"), replica(store, clock, "b")];
    expect(await a.tryAcquireOrRenew()).toBe(true);
    clock.advance(16_000);
    expect(await b.tryAcquireOrRenew()).toBe(false); // first sight of the record starts b's wait
    clock.advance(16_000);
    expect(await b.tryAcquireOrRenew()).toBe(true);
    await a.release();
    expect(store.lease?.spec.holderIdentity).toBe("b");
  });
});

describe("LeaderElector renew loop, on a manual clock and fake timers", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** Moves the clock and the timers together, one retry period at a time. */
  async function elapse(clock: ManualClock, ms: number): Promise<void> {
    for (let done = 0; done < ms; done += 2_000) {
      clock.advance(2_000);
      await vi.advanceTimersByTimeAsync(2_000);
    }
  }

  it("steps down when renewals have failed for the renew deadline, not before", async () => {
    const clock = new ManualClock("2026-11-25T12:00:00Z");
    const store = new LeaseStore();
    const leading: boolean[] = [];
    const a = new LeaderElector(store.api(), {
      namespace: "ns",
      name: "l",
      identity: "a",
      log: silent,
      clock,
      onLeading: (is) => leading.push(is),
    });
    const stop = new AbortController();
    const lost = await a.acquire(stop.signal);
    await elapse(clock, 4_000); // two renewals succeed
    expect(lost.aborted).toBe(false);
    store.down = true;
    await elapse(clock, 8_000); // 8 s of failed renewals: still leading, still fenced in
    expect(lost.aborted).toBe(false);
    expect(a.holdsFreshLease()).toBe(true);
    await elapse(clock, 2_000); // the renew deadline (10 s) since the last successful renewal
    expect(lost.aborted).toBe(true);
    expect(a.holdsFreshLease()).toBe(false);
    expect(leading).toEqual([true, false]);
    stop.abort();
  });

  it("steps down at once when it reads another holder", async () => {
    const clock = new ManualClock("2026-11-25T12:00:00Z");
    const store = new LeaseStore();
    const a = replica(store, clock, "a");
    const stop = new AbortController();
    const lost = await a.acquire(stop.signal);
    store.put({ ...store.lease?.spec, holderIdentity: "b", renewTime: kubeMicroTime(clock.now()) });
    await elapse(clock, 2_000);
    expect(lost.aborted).toBe(true);
    expect(a.holdsFreshLease()).toBe(false);
    stop.abort();
  });
});
