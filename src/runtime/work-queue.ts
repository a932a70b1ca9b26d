import { backoff, type BackoffPolicy } from "./backoff.ts";
import { systemClock, type Clock } from "./clock.ts";

/**
 * A work queue of object keys with client-go's semantics: a key waiting twice is queued once, a
 * key is never processed by two workers at once (one added while in flight is re-queued when the
 * first pass is done), and failures are retried with per-key exponential backoff up to a cap.
 */
export interface WorkQueueOptions {
  /** Retry delays of a failing key: `base` after the first failure, doubling up to `max`. */
  readonly backoff: BackoffPolicy;
  /** Measures how long keys wait (monotonic). */
  readonly clock?: Clock;
  readonly hooks?: WorkQueueHooks;
}

/** What the queue reports, named after controller-runtime's workqueue metrics. */
export interface WorkQueueHooks {
  add?(): void;
  retry?(): void;
  depth?(depth: number): void;
  /** Seconds a key waited in the queue before a worker took it. */
  queued?(seconds: number): void;
}

export class WorkQueue {
  readonly #queue: string[] = [];
  readonly #dirty = new Set<string>();
  readonly #processing = new Set<string>();
  readonly #failures = new Map<string, number>();
  readonly #delayed = new Map<string, { readonly timer: NodeJS.Timeout; readonly due: number }>();
  readonly #addedAt = new Map<string, number>();
  #waiters: ((key: string | undefined) => void)[] = [];
  #shuttingDown = false;
  readonly #options: WorkQueueOptions;
  readonly #clock: Clock;

  constructor(options: WorkQueueOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
  }

  get length(): number {
    return this.#queue.length;
  }

  /** Keys currently being worked on. */
  get inFlight(): number {
    return this.#processing.size;
  }

  add(key: string): void {
    if (this.#shuttingDown || this.#dirty.has(key)) return;
    this.#options.hooks?.add?.();
    this.#dirty.add(key);
    this.#addedAt.set(key, this.#clock.monotonic());
    if (this.#processing.has(key)) return;
    this.#push(key);
  }

  /**
   * Adds the key after a delay. A key already waiting keeps the sooner of its two times, as
   * client-go's delaying queue does: a short re-queue (a held status) must not wait behind a long
   * retry backoff.
   */
  addAfter(key: string, delayMs: number): void {
    if (this.#shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const due = this.#clock.monotonic() + delayMs;
    const pending = this.#delayed.get(key);
    if (pending !== undefined) {
      if (pending.due <= due) return;
      clearTimeout(pending.timer);
    }
    const timer = setTimeout(() => {
      this.#delayed.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref();
    this.#delayed.set(key, { timer, due });
  }

  /** Re-queues a key that failed, after its next backoff delay; returns that delay. */
  addRateLimited(key: string): number {
    const failures = this.#failures.get(key) ?? 0;
    this.#failures.set(key, failures + 1);
    const delay = backoff(failures, this.#options.backoff);
    this.#options.hooks?.retry?.();
    this.addAfter(key, delay);
    return delay;
  }

  /** Clears a key's failure history after it succeeded. */
  forget(key: string): void {
    this.#failures.delete(key);
  }

  failures(key: string): number {
    return this.#failures.get(key) ?? 0;
  }

  /** Waits for the next key; resolves undefined once the queue is shut down and drained. */
  get(): Promise<string | undefined> {
    const key = this.#queue.shift();
    if (key !== undefined) return Promise.resolve(this.#take(key));
    if (this.#shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Marks a key's pass finished; a key added meanwhile goes back in the queue. */
  done(key: string): void {
    this.#processing.delete(key);
    if (this.#dirty.has(key)) this.#push(key);
  }

  /** Stops accepting keys and releases idle waiters; keys already queued are still handed out. */
  shutDown(): void {
    this.#shuttingDown = true;
    for (const { timer } of this.#delayed.values()) clearTimeout(timer);
    this.#delayed.clear();
    if (this.#queue.length === 0) {
      for (const waiter of this.#waiters) waiter(undefined);
      this.#waiters = [];
    }
  }

  #push(key: string): void {
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) {
      waiter(this.#take(key));
      return;
    }
    this.#queue.push(key);
    this.#options.hooks?.depth?.(this.#queue.length);
  }

  #take(key: string): string {
    this.#dirty.delete(key);
    this.#processing.add(key);
    const addedAt = this.#addedAt.get(key);
    this.#addedAt.delete(key);
    if (addedAt !== undefined)
      this.#options.hooks?.queued?.((this.#clock.monotonic() - addedAt) / 1000);
    this.#options.hooks?.depth?.(this.#queue.length);
    return key;
  }
}
