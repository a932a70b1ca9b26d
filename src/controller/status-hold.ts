// One status write per convergence where the state allows (ADR 0129): a service that waits for its
// workload right after a change of its spec usually becomes Ready a moment later, so its first
// "waiting" status is held back for a short grace and the service re-queued; the reconcile that
// follows the workload's event writes Ready directly, and one that finds it still waiting after
// the grace writes Progressing.
import type { Outcome } from "./outcome.ts";

/**
 * How long a waiting status of a generation the status has not observed yet may be held back.
 * A workload on a healthy cluster becomes available within about a second of its first apply
 * with simulated pods, a few with real ones whose image is pulled; a rollout slower than this
 * shows Progressing after it. Meanwhile the status still names an older generation (or none),
 * which kstatus and `kubectl wait` already read as in progress.
 */
export const waitingGraceMs = 5_000;

/** The services whose waiting status is held back, each since when (monotonic ms). */
export class StatusHold {
  readonly #since = new Map<string, number>();

  /**
   * Whether to hold back the status of this reconcile: the milliseconds to re-queue the service
   * after, or undefined to write it now. Only a waiting outcome of a generation the status has not
   * observed is held, for at most `waitingGraceMs` from the first one held: a spec changed again
   * meanwhile does not restart the grace, so edits in quick succession cannot keep the status
   * back. Stalled and failed outcomes, and every outcome once the status has observed the
   * generation, are written.
   */
  holdMs(
    key: string,
    generation: number,
    observedGeneration: number | undefined,
    outcome: Outcome,
    now: number,
  ): number | undefined {
    if (outcome.kind !== "waiting" || observedGeneration === generation) {
      this.#since.delete(key);
      return undefined;
    }
    const since = this.#since.get(key) ?? now;
    const left = since + waitingGraceMs - now;
    if (left <= 0) {
      this.#since.delete(key);
      return undefined;
    }
    this.#since.set(key, since);
    return left;
  }

  /** Forgets a service that is gone, or whose status is written another way (suspended). */
  release(key: string): void {
    this.#since.delete(key);
  }
}
