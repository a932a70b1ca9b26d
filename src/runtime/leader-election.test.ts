// The elector's expiry on a manual clock. Expiry must be judged on this replica's monotonic clock
// from when it saw the lease change; the rows with a skewed or stepped wall clock fail if expiry
// were computed from the lease's renewTime.
import { pino } from "pino";
import { describe, expect, it } from "vitest";
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
  #version = 0;
  put(spec: LeaseSpec): void {
    this.#version++;
    this.lease = {
      kind: "Lease",
      metadata: { name: "l", namespace: "ns", resourceVersion: String(this.#version) },
      spec,
    };
  }
  api(): KubeApi {
    const api: Partial<KubeApi> = {
      get: <T extends KubeObject>(): Promise<T> => {
        if (this.lease === undefined) return Promise.reject(new KubeApiError(404, "NotFound", ""));
        return Promise.resolve(structuredClone(this.lease) as unknown as T);
      },
      replace: <T extends KubeObject>(_path: string, object: unknown): Promise<T> => {
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
