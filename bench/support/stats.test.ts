import { describe, expect, it } from "vitest";
import { linearFit, median, percentile, ratio } from "./stats.ts";

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

describe("linearFit", () => {
  it("finds the fixed part and the part per unit of points on a line", () => {
    const fit = linearFit([
      [0, 120],
      [1000, 170],
      [10000, 620],
    ]);
    expect(fit.intercept).toBeCloseTo(120, 6);
    expect(fit.slope).toBeCloseTo(0.05, 9);
  });

  it("passes between scattered points by least squares", () => {
    const fit = linearFit([
      [0, 1],
      [0, 3],
      [2, 6],
    ]);
    expect(fit).toEqual({ intercept: 2, slope: 2 });
  });

  it("is undefined (NaN) without two distinct x", () => {
    expect(linearFit([[5, 1]]).slope).toBeNaN();
    expect(linearFit([]).intercept).toBeNaN();
  });
});
