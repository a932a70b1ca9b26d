import { describe, expect, it } from "vitest";
import { median, percentile, ratio } from "./stats.ts";

describe("percentile", () => {
  it("takes the nearest rank, never interpolates", () => {
    const samples = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
    expect(percentile(samples, 50)).toBe(5);
    expect(percentile(samples, 99)).toBe(10);
    expect(percentile(samples, 10)).toBe(1);
  });
  it("is NaN without samples", () => {
    expect(percentile([], 99)).toBeNaN();
  });
});

describe("median", () => {
  it("averages the middle two of an even count", () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([3, 1, 2])).toBe(2);
  });
});

describe("ratio", () => {
  it("rounds to two places", () => {
    expect(ratio(1.2345, 1)).toBe(1.23);
  });
});
