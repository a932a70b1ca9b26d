// The one source of time for the runtime and the reconcilers, injected so that tests move time
// instead of sleeping. Two readings, because they answer different questions:
// - wall time (`now`) is what other processes read: status and lease timestamps, events;
// - monotonic time (`monotonic`) measures how long something took or has been true here. It never
//   jumps when the wall clock is stepped (NTP, a VM resumed), so durations judged on it cannot be
//   fooled by a clock that moved.

export interface Clock {
  /** Wall time: milliseconds since the Unix epoch. */
  now(): number;
  /** Monotonic milliseconds from an arbitrary origin; only differences mean anything. */
  monotonic(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
};

/** A clock tests move by hand. `advance` moves both readings; `stepWall` only the wall clock. */
export class ManualClock implements Clock {
  #wall: number;
  #monotonic = 0;

  constructor(start: number | string) {
    this.#wall = typeof start === "number" ? start : Date.parse(start);
  }

  now(): number {
    return this.#wall;
  }

  monotonic(): number {
    return this.#monotonic;
  }

  /** Time passes: both readings move by `ms`. */
  advance(ms: number): void {
    this.#wall += ms;
    this.#monotonic += ms;
  }

  /** The wall clock is stepped (NTP, a resumed VM, a skewed host); monotonic time does not move. */
  stepWall(ms: number): void {
    this.#wall += ms;
  }
}

/** A wall time as Kubernetes writes metav1.Time: RFC 3339 in whole seconds, e.g. conditions. */
export function kubeTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** A wall time as Kubernetes writes metav1.MicroTime (six fractional digits), e.g. leases. */
export function kubeMicroTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}
