import { delay, stopped } from "./abort.ts";
import type { Logger } from "pino";
import { isConflict, isNotFound, type KubeClient, type KubeObject } from "./kube-client.ts";

/**
 * Lease-based leader election with controller-runtime's timings (15 s lease, 10 s renew deadline,
 * 2 s retry). Expiry is judged by when *we* last saw the lease change, never by comparing the
 * holder's renewTime with our clock, so clock skew between replicas cannot elect two leaders.
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
  readonly #client: KubeClient;
  readonly #options: Required<Omit<LeaderElectionOptions, "onLeading">> &
    Pick<LeaderElectionOptions, "onLeading">;
  #observed: { record: string; at: number } | undefined;
  #lease: Lease | undefined;
  #freshUntil = 0;

  constructor(client: KubeClient, options: LeaderElectionOptions) {
    this.#client = client;
    this.#options = {
      leaseDurationSeconds: 15,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
      ...options,
    };
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
      if (await this.#renewed()) {
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
    let lastRenew = Date.now();
    while (!stop.aborted) {
      await delay(this.#options.retryPeriodMs, stop);
      if (stopped(stop)) return;
      if (await this.#renewed()) {
        lastRenew = Date.now();
        continue;
      }
      if (Date.now() - lastRenew >= this.#options.renewDeadlineMs || this.#heldByOther()) {
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
    return performance.now() < this.#freshUntil;
  }

  async #renewed(): Promise<boolean> {
    const sentAt = performance.now();
    if (!(await this.#tryAcquireOrRenew())) return false;
    this.#freshUntil = sentAt + this.#options.renewDeadlineMs;
    return true;
  }

  #heldByOther(): boolean {
    const holder = this.#lease?.spec.holderIdentity;
    return holder != null && holder !== "" && holder !== this.#options.identity;
  }

  async #tryAcquireOrRenew(): Promise<boolean> {
    const now = new Date();
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
              acquireTime: micro(now),
              renewTime: micro(now),
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
    if (this.#observed?.record !== record) this.#observed = { record, at: Date.now() };
    const holder = lease.spec.holderIdentity ?? "";
    const duration = (lease.spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000;
    const expired = holder === "" || Date.now() - this.#observed.at > duration;
    if (holder !== identity && !expired) return false;
    const spec = {
      ...lease.spec,
      holderIdentity: identity,
      leaseDurationSeconds,
      renewTime: micro(now),
      ...(holder === identity
        ? {}
        : { acquireTime: micro(now), leaseTransitions: (lease.spec.leaseTransitions ?? 0) + 1 }),
    };
    try {
      // A PUT carrying the resourceVersion we read: two candidates cannot both win the update.
      this.#lease = await this.#client.replace<Lease>(this.#path, { ...lease, spec });
      this.#observed = { record: JSON.stringify([identity, spec.renewTime]), at: Date.now() };
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
          renewTime: micro(new Date()),
        },
      });
      this.#options.onLeading?.(false);
      this.#options.log.info({ lease: this.#options.name }, "Released leadership");
    } catch (error) {
      this.#options.log.warn({ err: (error as Error).message }, "Could not release the lease");
    }
  }
}

/** Lease times are MicroTime: RFC 3339 with six fractional digits. */
function micro(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}
