/** Time source for every time-based rule, so tests move time instead of sleeping. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock tests set by hand. */
export class ManualClock implements Clock {
  #now: number;

  constructor(start: number | string) {
    this.#now = typeof start === "number" ? start : Date.parse(start);
  }

  now(): number {
    return this.#now;
  }

  set(to: number | string): void {
    this.#now = typeof to === "number" ? to : Date.parse(to);
  }

  advance(ms: number): void {
    this.#now += ms;
  }
}
