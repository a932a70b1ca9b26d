import { describe, expect, it } from "vitest";
import { backoff } from "./backoff.ts";

describe("backoff(attempt, policy)", () => {
  const policy = { base: 100, max: 1_000, jitter: 0 };
  it.each([
    [0, 100],
    [1, 200],
    [3, 800],
    [4, 1_000],
    [2_000, 1_000],
    [-1, 100],
  ])("attempt %i waits %i ms without jitter", (attempt, ms) => {
    expect(backoff(attempt, policy)).toBe(ms);
  });

  it("jitter only shortens, by at most its fraction", () => {
    const jittered = { ...policy, jitter: 0.5 };
    expect(backoff(4, jittered, () => 0)).toBe(1_000);
    expect(backoff(4, jittered, () => 1)).toBe(500);
    expect(backoff(1, jittered, () => 0.5)).toBe(150);
  });
});
