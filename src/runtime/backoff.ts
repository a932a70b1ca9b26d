// The one retry-delay formula: the work queue, the informers, the operator's background retries
// and the Callback API's dispatcher all use it, each with its own policy.

export interface BackoffPolicy {
  /** Delay of the first retry (attempt 0), in ms. */
  readonly base: number;
  /** No delay is longer than this, however many attempts failed, in ms. */
  readonly max: number;
  /**
   * Fraction, 0 to 1, by which a delay is shortened at random: 0.5 gives a delay between half and
   * all of the exponential one. Replicas or informers that failed together then retry apart
   * instead of all at once. Jitter only shortens, so `max` stays a bound.
   */
  readonly jitter: number;
}

/**
 * The delay before retry number `attempt` (0 for the first retry): `base` doubled per attempt,
 * capped at `max`, then shortened by up to `jitter` of itself. `random` is injectable for tests.
 */
export function backoff(
  attempt: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  // 2 ** 1024 is Infinity and min() keeps max; a negative attempt counts as the first.
  const exponential = Math.min(policy.max, policy.base * 2 ** Math.max(0, attempt));
  return Math.round(exponential * (1 - policy.jitter * random()));
}
