// A cap on heavy queries in flight (property filters that may compare every row of a large table):
// however many arrive together, they hold at most `size` pooled connections, and the others stay
// free for starts, updates, the dispatcher and readiness. A query that waits longer than `maxWaitMs`
// for a slot is answered 503, as GMS answers an overloaded service.
import { CallbackError } from "./errors.ts";

export class QuerySlots {
  readonly #size: number;
  readonly #maxWaitMs: number;
  #busy = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(size: number, maxWaitMs: number) {
    this.#size = size;
    this.#maxWaitMs = maxWaitMs;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    await this.#acquire();
    try {
      return await fn();
    } finally {
      this.#release();
    }
  }

  async #acquire(): Promise<void> {
    if (this.#busy < this.#size) {
      this.#busy++;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const grant = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#waiting.splice(this.#waiting.indexOf(grant), 1);
        reject(
          new CallbackError(
            "CallbackExceptionServiceUnavailable",
            `Too many queries in progress: none finished within ${this.#maxWaitMs / 1000} s. Retry shortly, or narrow the query.`,
          ),
        );
      }, this.#maxWaitMs);
      this.#waiting.push(grant);
    });
  }

  #release(): void {
    // The slot passes straight to the next waiter, so the count of busy slots stays the same.
    const next = this.#waiting.shift();
    if (next === undefined) this.#busy--;
    else next();
  }
}
