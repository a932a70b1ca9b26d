// Limits on local sign-in: guessing passwords must be slow, and a flood of attempts must not take
// the console's CPU (each check is a deliberately costly scrypt). Failures are counted per user
// name, not per address: behind an ingress every person has the ingress's address, so a limit per
// address would lock everyone out together. The price is that someone can hold one user name shut
// for one window by failing on purpose; the window is short and the person can still use single
// sign-on.
import type { Clock } from "../runtime/clock.ts";

export interface SignInLimitOptions {
  /** Failed attempts one user name may have within `windowMs` before it waits. */
  readonly failuresPerUser: number;
  readonly windowMs: number;
  /** Password checks running at once; more are refused, not queued. */
  readonly concurrentChecks: number;
  /** User names remembered at most (oldest forgotten first), so random names cannot fill memory. */
  readonly maxUsers: number;
}

export const defaultSignInLimits: SignInLimitOptions = {
  failuresPerUser: 10,
  windowMs: 5 * 60_000,
  concurrentChecks: 8,
  maxUsers: 10_000,
};

export type Admission =
  | { readonly ok: true; readonly done: (succeeded: boolean) => void }
  | { readonly ok: false; readonly reason: "user" | "busy"; readonly retryAfterMs: number };

export class SignInLimits {
  readonly #options: SignInLimitOptions;
  readonly #clock: Clock;
  /** Monotonic times of each user name's recent failures, oldest first; Map order = first failure. */
  readonly #failures = new Map<string, number[]>();
  #running = 0;

  constructor(clock: Clock, options: SignInLimitOptions = defaultSignInLimits) {
    this.#clock = clock;
    this.#options = options;
  }

  #recent(username: string, now: number): number[] {
    const kept = (this.#failures.get(username) ?? []).filter(
      (at) => now - at < this.#options.windowMs,
    );
    if (kept.length === 0) this.#failures.delete(username);
    else this.#failures.set(username, kept);
    return kept;
  }

  /** Whether a password check for `username` may run now; call `done` with its outcome. */
  admit(username: string): Admission {
    const now = this.#clock.monotonic();
    const recent = this.#recent(username, now);
    if (recent.length >= this.#options.failuresPerUser) {
      const oldest = recent[recent.length - this.#options.failuresPerUser] ?? now;
      return { ok: false, reason: "user", retryAfterMs: oldest + this.#options.windowMs - now };
    }
    if (this.#running >= this.#options.concurrentChecks)
      return { ok: false, reason: "busy", retryAfterMs: 1_000 };
    this.#running += 1;
    let finished = false;
    return {
      ok: true,
      done: (succeeded) => {
        if (finished) return;
        finished = true;
        this.#running -= 1;
        if (succeeded) {
          this.#failures.delete(username);
          return;
        }
        const failures = this.#recent(username, this.#clock.monotonic());
        this.#failures.set(username, [...failures, this.#clock.monotonic()]);
        while (this.#failures.size > this.#options.maxUsers) {
          const oldest = this.#failures.keys().next();
          if (oldest.done === true) break;
          this.#failures.delete(oldest.value);
        }
      },
    };
  }
}
