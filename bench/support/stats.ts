// Order statistics for benchmark samples. Nearest-rank percentiles: with few samples an
// interpolated p99 would report a latency no request ever had.

/** The p-th percentile (0 < p <= 100) by nearest rank; NaN for no samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? Number.NaN;
}

export function median(samples: readonly number[]): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? Number.NaN)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

/** A ratio rounded for tables: 1.234 → 1.23. */
export function ratio(value: number, baseline: number): number {
  return Math.round((value / baseline) * 100) / 100;
}

/**
 * The least-squares line through (x, y) points: what a fleet of x costs as a fixed part and a
 * part per unit. NaN for fewer than two distinct x.
 */
export function linearFit(points: readonly (readonly [number, number])[]): {
  readonly intercept: number;
  readonly slope: number;
} {
  const n = points.length;
  const meanX = points.reduce((sum, [x]) => sum + x, 0) / n;
  const meanY = points.reduce((sum, [, y]) => sum + y, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (const [x, y] of points) {
    sxx += (x - meanX) ** 2;
    sxy += (x - meanX) * (y - meanY);
  }
  if (n < 2 || sxx === 0) return { intercept: Number.NaN, slope: Number.NaN };
  const slope = sxy / sxx;
  return { intercept: meanY - slope * meanX, slope };
}
