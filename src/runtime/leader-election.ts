import type { Logger } from "pino";
import { delay, stopped } from "./abort.ts";
import { kubeMicroTime, systemClock, type Clock } from "./clock.ts";
import { isConflict, isNotFound, type KubeApi, type KubeObject } from "./kube-client.ts";

/**
 * Lease-based leader election with controller-runtime's timings (15 s lease, 10 s renew deadline,
 * 2 s retry). Expiry is judged on this replica's monotonic clock, from when *it* last saw the
 * lease change, never by comparing the holder's renewTime with any clock: clock skew between
 * replicas, or a wall clock stepped here, cannot elect two leaders.
 */
export interface LeaderElectionOptions {
  readonly namespace: string;
  readonly name: string;
  readonly identity: string;
  readonly leaseDurationSeconds?: number;
  readonly renewDeadlineMs?: number;
  readonly retryPeriodMs?: number;
  readonly log: Logger;
  readonly onLeading?: (isLeader: boolean) => void;
  readonly clock?: Clock;
}

interface Lease extends KubeObject {
  spec: {
    holderIdentity?: string | null;
    leaseDurationSeconds?: number;
    acquireTime?: string | null;
    renewTime?: string | null;
    leaseTransitions?: number;
  };
}

export class LeaderElector {
  readonly #client: KubeApi;
  readonly #options: Required<Omit<LeaderElectionOptions, "onLeading">> &
    Pick<LeaderElectionOptions, "onLeading">;
  /** The lease's holder and renewTime as last read, and when (monotonic) they last changed. */
  #observed: { record: string; at: number } | undefined;
  #lease: Lease | undefined;
  #freshUntil = 0;

  constructor(client: KubeApi, options: LeaderElectionOptions) {
    this.#client = client;
    this.#options = {
      leaseDurationSeconds: 15,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
      clock: systemClock,
      ...options,
    };
  }

  get #clock(): Clock {
    return this.#options.clock;
  }

  get #path(): string {
    const { namespace, name } = this.#options;
    return `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/${name}`;
  }

  /**
   * Waits until this replica leads, then resolves with a signal that aborts when leadership is
   * lost (renewals failed for the renew deadline). Rejects only when `stop` aborts first.
   */
  async acquire(stop: AbortSignal): Promise<AbortSignal> {
    let announced = false;
    while (!stop.aborted) {
      if (await this.tryAcquireOrRenew()) {
        this.#options.log.info(
          { lease: this.#options.name, identity: this.#options.identity },
          "Acquired leadership",
        );
        this.#options.onLeading?.(true);
        const lost = new AbortController();
        void this.#renewLoop(stop, lost);
        return lost.signal;
      }
      if (!announced) {
        this.#options.log.info(
          { lease: this.#options.name, holder: this.#lease?.spec.holderIdentity },
          "Waiting for leadership",
        );
        announced = true;
      }
      await delay(this.#options.retryPeriodMs, stop);
    }
    throw new Error("Stopped before acquiring leadership");
  }

  async #renewLoop(stop: AbortSignal, lost: AbortController): Promise<void> {
    let lastRenew = this.#clock.monotonic();
    while (!stop.aborted) {
      await delay(this.#options.retryPeriodMs, stop);
      if (stopped(stop)) return;
      if (await this.tryAcquireOrRenew()) {
        lastRenew = this.#clock.monotonic();
        continue;
      }
      if (
        this.#clock.monotonic() - lastRenew >= this.#options.renewDeadlineMs ||
        this.#heldByOther()
      ) {
        this.#options.log.error({ lease: this.#options.name }, "Lost leadership");
        this.#freshUntil = 0;
        this.#options.onLeading?.(false);
        lost.abort(new Error("leadership lost"));
        return;
      }
    }
  }

  /**
   * True while the last successful renewal was *sent* less than the renew deadline ago, by this
   * process's monotonic clock. Other replicas wait a whole lease (longer) after they last saw it
   * change, so a leader that checks this before each write never writes beside a new leader,
   * even after being paused (SIGSTOP, a VM freeze) past its lease.
   */
  holdsFreshLease(): boolean {
    return this.#clock.monotonic() < this.#freshUntil;
  }

  /** One attempt to take or renew the lease: true when this replica holds it now. */
  async tryAcquireOrRenew(): Promise<boolean> {
    const sentAt = this.#clock.monotonic();
    if (!(await this.#attempt())) return false;
    this.#freshUntil = sentAt + this.#options.renewDeadlineMs;
    return true;
  }

  #heldByOther(): boolean {
    const holder = this.#lease?.spec.holderIdentity;
    return holder != null && holder !== "" && holder !== this.#options.identity;
  }

  async #attempt(): Promise<boolean> {
    const now = kubeMicroTime(this.#clock.now());
    const { identity, leaseDurationSeconds, namespace, name } = this.#options;
    let lease: Lease;
    try {
      lease = await this.#client.get<Lease>(this.#path);
    } catch (error) {
      if (!isNotFound(error)) return this.#failed(error);
      try {
        this.#lease = await this.#client.create<Lease>(
          `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases`,
          {
            apiVersion: "coordination.k8s.io/v1",
            kind: "Lease",
            metadata: { name, namespace },
            spec: {
              holderIdentity: identity,
              leaseDurationSeconds,
              acquireTime: now,
              renewTime: now,
              leaseTransitions: 0,
            },
          },
        );
        return true;
      } catch (createError) {
        return this.#failed(createError);
      }
    }
    this.#lease = lease;
    const record = JSON.stringify([lease.spec.holderIdentity, lease.spec.renewTime]);
    if (this.#observed?.record !== record) {
      this.#observed = { record, at: this.#clock.monotonic() };
    }
    const holder = lease.spec.holderIdentity ?? "";
    const duration = (lease.spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000;
    const expired = holder === "" || this.#clock.monotonic() - this.#observed.at > duration;
    if (holder !== identity && !expired) return false;
    const spec = {
      ...lease.spec,
      holderIdentity: identity,
      leaseDurationSeconds,
      renewTime: now,
      ...(holder === identity
        ? {}
        : { acquireTime: now, leaseTransitions: (lease.spec.leaseTransitions ?? 0) + 1 }),
    };
    try {
      // A PUT carrying the resourceVersion we read: two candidates cannot both win the update.
      this.#lease = await this.#client.replace<Lease>(this.#path, { ...lease, spec });
      this.#observed = {
        record: JSON.stringify([identity, spec.renewTime]),
        at: this.#clock.monotonic(),
      };
      return true;
    } catch (error) {
      return this.#failed(error);
    }
  }

  #failed(error: unknown): false {
    if (!isConflict(error)) {
      this.#options.log.warn(
        { lease: this.#options.name, err: (error as Error).message },
        "Lease request failed",
      );
    }
    return false;
  }

  /** On graceful shutdown: hand the lease over at once instead of making others wait 15 s. */
  async release(): Promise<void> {
    this.#freshUntil = 0;
    const lease = this.#lease;
    if (lease?.spec.holderIdentity !== this.#options.identity) return;
    try {
      await this.#client.replace(this.#path, {
        ...lease,
        spec: {
          ...lease.spec,
          holderIdentity: null,
          leaseDurationSeconds: 1,
          renewTime: kubeMicroTime(this.#clock.now()),
        },
      });
      this.#options.onLeading?.(false);
      this.#options.log.info({ lease: this.#options.name }, "Released leadership");
    } catch (error) {
      this.#options.log.warn({ err: (error as Error).message }, "Could not release the lease");
    }
  }
}
