// Which upstream answered for a callback id last: the id paths go straight there next time. Only a
// route, never a permission: the upstream still checks the caller's credentials on every request.

export class OwnerCache {
  readonly #max: number;
  /** Insertion order is recency order: a hit is moved to the end, the first entry is the oldest. */
  readonly #owners = new Map<string, string>();

  constructor(max: number) {
    this.#max = max;
  }

  get(id: string): string | undefined {
    const owner = this.#owners.get(id);
    if (owner !== undefined) {
      this.#owners.delete(id);
      this.#owners.set(id, owner);
    }
    return owner;
  }

  set(id: string, upstream: string): void {
    this.#owners.delete(id);
    this.#owners.set(id, upstream);
    if (this.#owners.size > this.#max) {
      const oldest = this.#owners.keys().next();
      if (oldest.done !== true) this.#owners.delete(oldest.value);
    }
  }

  forget(id: string): void {
    this.#owners.delete(id);
  }

  get size(): number {
    return this.#owners.size;
  }
}
